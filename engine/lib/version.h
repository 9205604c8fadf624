/*
 * version — the release of tsunagu this binary is, shown by --version, in the
 * logs and in the metrics' build information.
 */
#ifndef TSUNAGU_VERSION_H
#define TSUNAGU_VERSION_H

#define TSUNAGU_VERSION "0.10.0"

#endif
