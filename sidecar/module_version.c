/* module_version.c - linked into every vigil-<module>.so (not into vigil):
 * the version sidecar/module.c checks before it takes the plugin. */
#include "sidecar/module.h"
#include "sidecar/version.h"

extern const char vigil_module_version[];
const char vigil_module_version[] = VIGIL_VERSION;
