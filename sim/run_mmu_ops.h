/* The run_mmu_ops of tdp_mmu and shadow_mmu (sim/run_mmu_ops.c). */
#ifndef MMUSIM_SIM_RUN_MMU_OPS_H
#define MMUSIM_SIM_RUN_MMU_OPS_H

#include "sim/run_mmu.h"

extern const struct run_mmu_ops tdp_mmu_run_ops;
extern const struct run_mmu_ops shadow_mmu_run_ops;

#endif
