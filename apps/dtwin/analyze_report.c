/* analyze_report.c - time series, episodes and statistics of `dtwin analyze`,
 * written as JSON and as a self-contained HTML page (inline SVG, no script). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "cli.h"
#include "dtw/version.h"

void analyze_note_names(analyze_t *a, const dtw_joint_state_msg_t *m) {
  bool same = m->n_name == a->n_checked;
  for (size_t i = 0; i < m->n_name && same; i++) same = !strcmp(m->name[i], a->checked[i]);
  if (same) return;
  a->n_checked = m->n_name;
  for (size_t i = 0; i < m->n_name; i++) memcpy(a->checked[i], m->name[i], DTW_NAME_MAX);
  for (size_t i = 0; i < m->n_name; i++) {
    bool known = false;
    for (size_t j = 0; j < a->n_joints && !known; j++) known = !strcmp(m->name[i], a->twin_js.name[j]);
    for (size_t k = 0; k < a->n_unknown && !known; k++) known = !strcmp(m->name[i], a->unknown[k]);
    if (!known && a->n_unknown < 8) snprintf(a->unknown[a->n_unknown++], DTW_NAME_MAX, "%s", m->name[i]);
  }
}

static void open_episode(analyze_t *a, const dtw_sync_report_t *r) {
  if (a->n_episodes == a->cap_episodes) {
    size_t cap = a->cap_episodes ? 2 * a->cap_episodes : 16;
    analyze_episode_t *e = realloc(a->episodes, cap * sizeof *e);
    if (!e) return;
    a->episodes = e;
    a->cap_episodes = cap;
  }
  analyze_episode_t *e = &a->episodes[a->n_episodes++];
  memset(e, 0, sizeof *e);
  e->start_s = r->time_s;
  e->end_s = -1;
  e->state = r->state;
  const dtw_sync_transition_t *tr = &r->last_transition;
  if (r->state == DTW_SYNC_DIVERGED) {
    bool pos = false;
    size_t used = 0;
    for (size_t i = 0; i < tr->n_culprits; i++) {
      int j = tr->culprits[i].joint;
      if (j < 0 || (size_t)j >= r->n_joints) continue;
      if (tr->culprits[i].pos_error_rad > a->sync_settings.alarm_position_error_rad) pos = true;
      if (fabs(tr->culprits[i].pos_error_rad) > e->worst_error) e->worst_error = fabs(tr->culprits[i].pos_error_rad);
      used += (size_t)snprintf(e->joints + used, used < sizeof e->joints ? sizeof e->joints - used : 0,
                               "%s%s", i ? "," : "", r->joints[j].name);
      if (used >= sizeof e->joints) break;
    }
    snprintf(e->kind, sizeof e->kind, "%s", pos ? "position" : "velocity");
  } else if (r->state == DTW_SYNC_FAULT && r->n_faults > 0) {
    size_t used = 0;
    for (size_t i = 0; i < r->n_faults; i++) {
      int j = r->faults[i].joint;
      if (j < 0 || (size_t)j >= r->n_joints) continue;
      used += (size_t)snprintf(e->joints + used, used < sizeof e->joints ? sizeof e->joints - used : 0,
                               "%s%s", used ? "," : "", r->joints[j].name);
      if (used >= sizeof e->joints) break;
    }
    snprintf(e->kind, sizeof e->kind, "%s", dtw_sync_fault_kind_name(r->faults[0].kind));
  } else {
    snprintf(e->kind, sizeof e->kind, "%s",
             r->state == DTW_SYNC_STALE      ? "stale"
             : r->state == DTW_SYNC_DEGRADED ? "degraded"
                                             : "no_data");
  }
}

void analyze_on_tick(analyze_t *a, int flags) {
  dtw_sync_report_t *r = &a->rep;
  dtw_sync_report(a->sync, r);
  if (a->n_ticks == a->cap_ticks) {
    size_t cap = a->cap_ticks ? 2 * a->cap_ticks : 1024;
    analyze_tick_t *t = realloc(a->ticks, cap * sizeof *t);
    if (t) { a->ticks = t; a->cap_ticks = cap; }
  }
  if (a->n_ticks < a->cap_ticks) {
    a->ticks[a->n_ticks++] = (analyze_tick_t){(float)r->time_s, (float)r->overall.pos_max_rad,
                                              isfinite(r->overall.pos_last_rad) ? (float)r->overall.pos_last_rad : 0,
                                              (uint8_t)r->state};
  }
  if (r->state < DTW_SYNC_STATE_COUNT) a->time_in_state[r->state] += 1.0 / a->sync_settings.status_rate_hz;
  if (flags > 0 && (flags & DTW_SYNC_TICK_TRANSITION)) {
    if (a->n_episodes && a->episodes[a->n_episodes - 1].end_s < 0) a->episodes[a->n_episodes - 1].end_s = r->time_s;
    bool after_data = r->robot_samples > 0;
    if (r->state == DTW_SYNC_DIVERGED || r->state == DTW_SYNC_FAULT || r->state == DTW_SYNC_STALE ||
        r->state == DTW_SYNC_DEGRADED || (r->state == DTW_SYNC_NO_DATA && after_data))
      open_episode(a, r);
  }
  for (size_t j = 0; j < r->n_joints; j++) {
    const dtw_sync_err_stats_t *e = &r->joints[j].err;
    if (!e->n_pos) continue;
    analyze_joint_acc_t *acc = &a->joints[j];
    acc->sum_sq_rms += e->pos_rms_rad * e->pos_rms_rad;
    acc->n++;
    if (e->pos_max_rad > acc->max_pos) acc->max_pos = e->pos_max_rad;
    if (e->vel_max_rad_s > acc->max_vel) acc->max_vel = e->vel_max_rad_s;
  }
  for (size_t g = 0; g < r->n_groups; g++) {
    const dtw_sync_err_stats_t *e = &r->groups[g].err;
    if (!e->n_pos) continue;
    analyze_joint_acc_t *acc = &a->groups[g];
    acc->sum_sq_rms += e->pos_rms_rad * e->pos_rms_rad;
    acc->n++;
    if (e->pos_max_rad > acc->max_pos) acc->max_pos = e->pos_max_rad;
    if (e->vel_max_rad_s > acc->max_vel) acc->max_vel = e->vel_max_rad_s;
  }
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
    else if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", *s);
    else fputc(*s, f);
  }
  fputc('"', f);
}

static double rms_of(const analyze_joint_acc_t *acc) { return acc->n ? sqrt(acc->sum_sq_rms / (double)acc->n) : 0; }

static void write_json(analyze_t *a, FILE *f, const char *read_error) {
  const dtw_sync_report_t *r = &a->rep;
  fprintf(f, "{\n  \"dtwin_version\": ");
  json_str(f, DTW_VERSION);
  fprintf(f, ",\n  \"file\": ");
  json_str(f, a->opt.file);
  fprintf(f, ",\n  \"model\": ");
  json_str(f, a->twin_settings.model);
  fprintf(f, ",\n  \"robot_topic\": ");
  json_str(f, a->opt.robot_topic);
  fprintf(f, ",\n  \"twin_namespace\": ");
  json_str(f, a->opt.twin_ns);
  if (a->pair >= 0) fprintf(f, ",\n  \"pair\": %d", a->pair);
  else fprintf(f, ",\n  \"pair\": null");
  fprintf(f, ",\n  \"read_error\": ");
  if (read_error) json_str(f, read_error);
  else fprintf(f, "null");
  fprintf(f, ",\n  \"duration_s\": %.3f,\n  \"robot_samples\": %llu,\n  \"commands\": %llu,\n"
             "  \"commands_refused\": %llu,\n  \"undecodable_messages\": %llu,\n",
          a->duration_s, (unsigned long long)a->robot_samples, (unsigned long long)a->commands,
          (unsigned long long)a->commands_refused, (unsigned long long)a->bad_messages);
  fprintf(f, "  \"unknown_joints\": [");
  for (size_t i = 0; i < a->n_unknown; i++) {
    if (i) fputs(", ", f);
    json_str(f, a->unknown[i]);
  }
  fprintf(f, "],\n  \"final_state\": \"%s\",\n  \"time_in_state_s\": {", dtw_sync_state_name(r->state));
  for (int s = 0; s < DTW_SYNC_STATE_COUNT; s++)
    fprintf(f, "%s\"%s\": %.1f", s ? ", " : "", dtw_sync_state_name(s), a->time_in_state[s]);
  fprintf(f, "},\n  \"transitions\": {");
  for (int s = 0; s < DTW_SYNC_STATE_COUNT; s++)
    fprintf(f, "%s\"%s\": %llu", s ? ", " : "", dtw_sync_state_name(s), (unsigned long long)r->transitions[s]);
  fprintf(f, "},\n  \"resyncs\": %llu,\n  \"episodes\": [", (unsigned long long)r->resyncs);
  for (size_t i = 0; i < a->n_episodes; i++) {
    const analyze_episode_t *e = &a->episodes[i];
    fprintf(f, "%s\n    {\"state\": \"%s\", \"kind\": \"%s\", \"start_s\": %.3f, \"end_s\": ", i ? "," : "",
            dtw_sync_state_name(e->state), e->kind, e->start_s);
    if (e->end_s < 0) fprintf(f, "null");
    else fprintf(f, "%.3f", e->end_s);
    fprintf(f, ", \"joints\": ");
    json_str(f, e->joints);
    fprintf(f, ", \"worst_position_error_rad\": %.6f}", e->worst_error);
  }
  fprintf(f, "\n  ],\n  \"joints\": [");
  for (size_t j = 0; j < r->n_joints; j++) {
    fprintf(f, "%s\n    {\"name\": ", j ? "," : "");
    json_str(f, r->joints[j].name);
    fprintf(f, ", \"group\": ");
    json_str(f, r->joints[j].group >= 0 ? r->groups[r->joints[j].group].name : "");
    fprintf(f, ", \"position_rms_rad\": %.6f, \"position_max_rad\": %.6f, \"velocity_max_rad_s\": %.6f}",
            rms_of(&a->joints[j]), a->joints[j].max_pos, a->joints[j].max_vel);
  }
  fprintf(f, "\n  ],\n  \"groups\": [");
  for (size_t g = 0; g < r->n_groups; g++) {
    fprintf(f, "%s\n    {\"name\": ", g ? "," : "");
    json_str(f, r->groups[g].name);
    fprintf(f, ", \"joints\": %zu, \"position_rms_rad\": %.6f, \"position_max_rad\": %.6f, "
               "\"velocity_max_rad_s\": %.6f}",
            r->groups[g].n_joints, rms_of(&a->groups[g]), a->groups[g].max_pos, a->groups[g].max_vel);
  }
  fprintf(f, "\n  ],\n  \"series\": {\"t_s\": [");
  for (size_t i = 0; i < a->n_ticks; i++) fprintf(f, "%s%.2f", i ? "," : "", a->ticks[i].t_s);
  fprintf(f, "],\n    \"state\": [");
  for (size_t i = 0; i < a->n_ticks; i++) fprintf(f, "%s\"%s\"", i ? "," : "", dtw_sync_state_name(a->ticks[i].state));
  fprintf(f, "],\n    \"position_error_max_rad\": [");
  for (size_t i = 0; i < a->n_ticks; i++) fprintf(f, "%s%.5f", i ? "," : "", a->ticks[i].pos_max_rad);
  fprintf(f, "]}\n}\n");
}

static void html_esc(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '&') fputs("&amp;", f);
    else fputc(*s, f);
  }
}

static void write_html(analyze_t *a, FILE *f, const char *read_error) {
  static const char *colors[DTW_SYNC_STATE_COUNT] = {"#bbb", "#8c8", "#e66", "#fb4", "#c4c",
                                                          "#9ad"};
  const dtw_sync_report_t *r = &a->rep;
  fprintf(f, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>dtwin analyze: ");
  html_esc(f, a->opt.file);
  fprintf(f, "</title><style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#eee}"
             "td:first-child{text-align:left}</style></head><body>\n<h1>Twin vs robot: ");
  html_esc(f, a->opt.file);
  fprintf(f, "</h1>\n<p>model ");
  html_esc(f, a->twin_settings.model);
  fprintf(f, ", robot topic ");
  html_esc(f, a->opt.robot_topic);
  fprintf(f, ", %.1f s, %llu robot samples, %llu commands, final state <b>%s</b>, %llu re-syncs.</p>\n",
          a->duration_s, (unsigned long long)a->robot_samples, (unsigned long long)a->commands,
          dtw_sync_state_name(r->state), (unsigned long long)r->resyncs);
  if (read_error) {
    fprintf(f, "<p style=\"color:#c00\">The file is damaged or cut short: ");
    html_esc(f, read_error);
    fprintf(f, " (what was read is reported)</p>\n");
  }
  if (a->n_unknown) {
    fprintf(f, "<p>Robot joints the model does not have:");
    for (size_t i = 0; i < a->n_unknown; i++) { fputc(' ', f); html_esc(f, a->unknown[i]); }
    fprintf(f, "</p>\n");
  }
  /* plot: state band and max position error over time */
  const double W = 900, H = 240, band = 14;
  double tmax = a->duration_s > 0 ? a->duration_s : 1, emax = 1e-3;
  for (size_t i = 0; i < a->n_ticks; i++) if (a->ticks[i].pos_max_rad > emax) emax = a->ticks[i].pos_max_rad;
  fprintf(f, "<h2>Position error (window max, rad) and state</h2>\n<svg width=\"%.0f\" height=\"%.0f\" "
             "viewBox=\"0 0 %.0f %.0f\" xmlns=\"http://www.w3.org/2000/svg\">\n",
          W + 60, H + band + 30, W + 60, H + band + 30);
  for (size_t i = 0; i < a->n_ticks; i++) {
    double x0 = 50 + W * a->ticks[i].t_s / tmax;
    double x1 = i + 1 < a->n_ticks ? 50 + W * a->ticks[i + 1].t_s / tmax : 50 + W;
    fprintf(f, "<rect x=\"%.1f\" y=\"0\" width=\"%.2f\" height=\"%.0f\" fill=\"%s\"/>", x0, x1 - x0 + 0.3, band,
            colors[a->ticks[i].state % DTW_SYNC_STATE_COUNT]);
  }
  fprintf(f, "\n<polyline fill=\"none\" stroke=\"#248\" stroke-width=\"1\" points=\"");
  for (size_t i = 0; i < a->n_ticks; i++)
    fprintf(f, "%.1f,%.1f ", 50 + W * a->ticks[i].t_s / tmax, band + 5 + H * (1 - a->ticks[i].pos_max_rad / emax));
  double alarm_y = band + 5 + H * (1 - a->sync_settings.alarm_position_error_rad / emax);
  fprintf(f, "\"/>\n");
  if (alarm_y > band) fprintf(f, "<line x1=\"50\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#c00\" stroke-dasharray=\"4\"/>", 50 + W, alarm_y, alarm_y);
  fprintf(f, "<text x=\"0\" y=\"%.0f\">%.3g</text><text x=\"0\" y=\"%.0f\">0</text>"
             "<text x=\"50\" y=\"%.0f\">0 s</text><text x=\"%.0f\" y=\"%.0f\">%.1f s</text></svg>\n",
          band + 15, emax, band + 5 + H, H + band + 25, W, H + band + 25, tmax);
  fprintf(f, "<p>");
  for (int s = 0; s < DTW_SYNC_STATE_COUNT; s++)
    fprintf(f, "<span style=\"background:%s;padding:0 6px\">%s %.1f s</span> ", colors[s], dtw_sync_state_name(s),
            a->time_in_state[s]);
  fprintf(f, "</p>\n<h2>Episodes</h2>\n<table><tr><th>state</th><th>kind</th><th>start s</th><th>end s</th>"
             "<th>joints</th><th>error rad</th></tr>\n");
  for (size_t i = 0; i < a->n_episodes; i++) {
    const analyze_episode_t *e = &a->episodes[i];
    fprintf(f, "<tr><td>%s</td><td>%s</td><td>%.2f</td><td>", dtw_sync_state_name(e->state), e->kind, e->start_s);
    if (e->end_s < 0) fprintf(f, "(end)");
    else fprintf(f, "%.2f", e->end_s);
    fprintf(f, "</td><td>");
    html_esc(f, e->joints);
    fprintf(f, "</td><td>%.4f</td></tr>\n", e->worst_error);
  }
  fprintf(f, "</table>\n<h2>Groups</h2>\n<table><tr><th>group</th><th>joints</th><th>pos RMS rad</th>"
             "<th>pos max rad</th><th>vel max rad/s</th></tr>\n");
  for (size_t g = 0; g < r->n_groups; g++) {
    fprintf(f, "<tr><td>");
    html_esc(f, r->groups[g].name);
    fprintf(f, "</td><td>%zu</td><td>%.4f</td><td>%.4f</td><td>%.3f</td></tr>\n", r->groups[g].n_joints,
            rms_of(&a->groups[g]), a->groups[g].max_pos, a->groups[g].max_vel);
  }
  fprintf(f, "</table>\n<h2>Joints</h2>\n<table><tr><th>joint</th><th>pos RMS rad</th><th>pos max rad</th>"
             "<th>vel max rad/s</th><th>bar</th></tr>\n");
  double jmax = 1e-9;
  for (size_t j = 0; j < r->n_joints; j++) if (a->joints[j].max_pos > jmax) jmax = a->joints[j].max_pos;
  for (size_t j = 0; j < r->n_joints; j++) {
    fprintf(f, "<tr><td>");
    html_esc(f, r->joints[j].name);
    fprintf(f, "</td><td>%.4f</td><td>%.4f</td><td>%.3f</td><td style=\"text-align:left\"><svg width=\"200\" "
               "height=\"10\"><rect width=\"%.1f\" height=\"10\" fill=\"#248\"/></svg></td></tr>\n",
            rms_of(&a->joints[j]), a->joints[j].max_pos, a->joints[j].max_vel, 200 * a->joints[j].max_pos / jmax);
  }
  fprintf(f, "</table>\n<p>RMS: root of the mean squared %.2g s-window RMS over all status ticks; max: "
             "largest error of any sample. dtwin %s.</p></body></html>\n",
          a->sync_settings.window_s, DTW_VERSION);
}

int analyze_write_reports(analyze_t *a, const char *read_error) {
  char prefix[1024], path[1100];
  if (a->opt.prefix) snprintf(prefix, sizeof prefix, "%s", a->opt.prefix);
  else {
    snprintf(prefix, sizeof prefix, "%s", a->opt.file);
    size_t n = strlen(prefix);
    if (n > 5 && !strcmp(prefix + n - 5, ".mcap")) prefix[n - 5] = 0;
    strncat(prefix, ".report", sizeof prefix - strlen(prefix) - 1);
  }
  dtw_sync_report(a->sync, &a->rep);
  for (int k = 0; k < 2; k++) {
    snprintf(path, sizeof path, "%s.%s", prefix, k ? "html" : "json");
    FILE *f = fopen(path, "w");
    if (!f) {
      fprintf(stderr, "dtwin analyze: cannot write %s\n", path);
      return DTWIN_EXIT_FAILURE;
    }
    if (k) write_html(a, f, read_error);
    else write_json(a, f, read_error);
    if (fclose(f)) {
      fprintf(stderr, "dtwin analyze: writing %s failed\n", path);
      return DTWIN_EXIT_FAILURE;
    }
    printf("%s\n", path);
  }
  printf("%sstate %s, %zu episode(s), %llu robot samples over %.1f s\n", a->label,
         dtw_sync_state_name(a->rep.state), a->n_episodes, (unsigned long long)a->robot_samples,
         a->duration_s);
  return 0;
}

void analyze_free(analyze_t *a) {
  free(a->ticks);
  free(a->episodes);
}
