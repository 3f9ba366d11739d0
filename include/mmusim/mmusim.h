/*
 * libmmusim: the whole public API (docs/library.md).  Link with
 * "pkg-config --cflags --libs mmusim" or CMake's find_package(mmusim) and
 * target mmusim::mmusim.
 */
#ifndef MMUSIM_MMUSIM_PUBLIC_H
#define MMUSIM_MMUSIM_PUBLIC_H

#include <mmusim/mmu.h>
#include <mmusim/page_format.h>
#include <mmusim/sim.h>
#include <mmusim/types.h>
#include <mmusim/version.h>
#include <mmusim/walker.h>

#endif
