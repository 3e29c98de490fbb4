/* Where the files a URDF names are: package://, file:// and relative paths,
 * resolved as ROS resolves them, and why one was not found (see
 * dtw__urdf_resolve in model__urdf.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dtw/err.h"
#include "model__urdf.h"

/* realpath() of dir/rel (rel alone if dir is NULL) if it names a readable file. */
static char *try_path(const char *dir, size_t dirlen, const char *rel) {
  char *joined = NULL;
  if (dir != NULL) {
    if (asprintf(&joined, "%.*s/%s", (int)dirlen, dir, rel) < 0) return NULL;
  } else {
    joined = strdup(rel);
    if (joined == NULL) return NULL;
  }
  char *real = realpath(joined, NULL);
  free(joined);
  if (real == NULL) return NULL;
  struct stat st;
  if (stat(real, &st) != 0 || !S_ISREG(st.st_mode) || access(real, R_OK) != 0) {
    free(real);
    return NULL;
  }
  return real;
}

/* Search a colon-separated list of directories for DIR/<sub>/pkg/rest; the
 * first DIR/<sub>/pkg that exists as a directory goes to *pkgdir (if unset). */
static char *search_path_list(const char *list, const char *sub, const char *pkg,
                              const char *rest, char **pkgdir) {
  if (list == NULL) return NULL;
  char *rel = NULL;
  if (asprintf(&rel, "%s%s/%s", sub, pkg, rest) < 0) return NULL;
  char *found = NULL;
  const char *s = list;
  while (found == NULL && *s != '\0') {
    const char *colon = strchr(s, ':');
    size_t n = colon != NULL ? (size_t)(colon - s) : strlen(s);
    if (n > 0) {
      found = try_path(s, n, rel);
      char *dir = NULL;
      struct stat st;
      if (found == NULL && *pkgdir == NULL &&
          asprintf(&dir, "%.*s/%s%s", (int)n, s, sub, pkg) >= 0) {
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
          *pkgdir = dir;
        else
          free(dir);
      }
    }
    s += n;
    if (*s == ':') s++;
  }
  free(rel);
  return found;
}

/* package://pkg/rest: the package path, the ROS environment, then an ancestor
 * of the URDF's own directory named pkg (a package used in place). */
static char *resolve_package(const dtw__urdf_ctx_t *ctx, const char *pkg, const char *rest,
                             char **pkgdir) {
  char *found = NULL;
  if (ctx->package_path != NULL) {
    found = search_path_list(ctx->package_path, "", pkg, rest, pkgdir);
  } else {
    found = search_path_list(getenv("ROS_PACKAGE_PATH"), "", pkg, rest, pkgdir);
    if (found == NULL)
      found = search_path_list(getenv("AMENT_PREFIX_PATH"), "share/", pkg, rest, pkgdir);
  }
  if (found != NULL || ctx->dir == NULL) return found;
  char *dir = realpath(ctx->dir, NULL);
  if (dir == NULL) return NULL;
  size_t pl = strlen(pkg);
  for (char *slash = strrchr(dir, '/'); found == NULL && slash != NULL;
       slash = strrchr(dir, '/')) {
    if (strlen(slash + 1) == pl && strcmp(slash + 1, pkg) == 0) {
      found = try_path(dir, strlen(dir), rest);
      if (found == NULL && *pkgdir == NULL) *pkgdir = strdup(dir);
    }
    *slash = '\0';
  }
  free(dir);
  return found;
}

/* Why package://pkg/rest was not found: where the package is (and that the
 * file is not in it), or every place searched for it. */
static char *package_miss(const dtw__urdf_ctx_t *ctx, const char *uri, const char *pkg,
                          const char *rest, const char *pkgdir) {
  char *msg = NULL;
  int n;
  if (pkgdir != NULL) {
    n = asprintf(&msg, "mesh file '%s' not found: package '%s' is %s but has no '%s'", uri, pkg,
                 pkgdir, rest);
  } else if (ctx->package_path != NULL) {
    n = asprintf(&msg, "mesh file '%s' not found: package '%s' is not in the package path "
                 "'%s' nor a parent directory of %s", uri, pkg, ctx->package_path,
                 ctx->file);
  } else {
    const char *ros = getenv("ROS_PACKAGE_PATH"), *ament = getenv("AMENT_PREFIX_PATH");
    n = asprintf(&msg, "mesh file '%s' not found: package '%s' is not in ROS_PACKAGE_PATH "
                 "'%s' nor AMENT_PREFIX_PATH '%s' (share/) nor a parent directory of %s; "
                 "give a package path", uri, pkg, ros != NULL ? ros : "", ament != NULL ? ament : "",
                 ctx->file);
  }
  return n < 0 ? NULL : msg;
}

int dtw__urdf_resolve(const dtw__urdf_ctx_t *ctx, const char *filename, char **out,
                      char **missing) {
  char *found = NULL, *pkgdir = NULL;
  const char *name = filename;
  *out = *missing = NULL;
  if (strncmp(filename, "package://", 10) == 0) {
    const char *pkg = filename + 10;
    const char *slash = strchr(pkg, '/');
    if (slash == NULL || slash == pkg || slash[1] == '\0') return DTW_EMODEL;
    char *pkgname = strndup(pkg, (size_t)(slash - pkg));
    if (pkgname == NULL) return DTW_ENOMEM;
    found = resolve_package(ctx, pkgname, slash + 1, &pkgdir);
    if (found == NULL) *missing = package_miss(ctx, filename, pkgname, slash + 1, pkgdir);
    free(pkgname);
    free(pkgdir);
  } else {
    if (strncmp(filename, "file://", 7) == 0) name = filename + 7;
    if (name[0] == '/' || ctx->dir == NULL)
      found = try_path(NULL, 0, name);
    else
      found = try_path(ctx->dir, strlen(ctx->dir), name);
    if (found == NULL &&
        asprintf(missing, "mesh file '%s' not found%s", filename,
                 name[0] == '/' ? "" : " (relative to the URDF's directory)") < 0)
      *missing = NULL;
  }
  if (found == NULL && *missing == NULL) return DTW_ENOMEM;
  *out = found;
  return 0;
}
