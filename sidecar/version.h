/* version.h - vigil's version and compiled-in defaults. */
#ifndef VIGIL_VERSION_H
#define VIGIL_VERSION_H

#define VIGIL_VERSION "0.1.0"
#define VIGIL_DEFAULT_CONFIG "/etc/vigil/vigil.yaml"

#endif
