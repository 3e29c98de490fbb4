/* sim_integrator.c - MuJoCo's integrators by name (the sim.integrator setting). */
#include <mujoco/mujoco.h>
#include <string.h>

#include "dtw/sim.h"
#include "sim__compile.h"

static const struct {
  const char *name;
  int code;
} integrators[] = {{"euler", mjINT_EULER}, {"implicit", mjINT_IMPLICIT}, {"rk4", mjINT_RK4}};
#define N_INTEGRATORS (sizeof integrators / sizeof integrators[0])

int dtw_sim_integrator_code(const char *name) {
  for (size_t i = 0; name != NULL && i < N_INTEGRATORS; i++)
    if (strcmp(name, integrators[i].name) == 0) return integrators[i].code;
  return -1;
}

const char *dtw__sim_integrator_name(int code) {
  for (size_t i = 0; i < N_INTEGRATORS; i++)
    if (code == integrators[i].code) return integrators[i].name;
  return "unknown";
}
