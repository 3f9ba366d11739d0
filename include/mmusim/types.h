/*
 * libmmusim: the types every part of the API shares (docs/library.md).
 *
 * Every name here starts with mmusim_ or MMUSIM_, so that this header
 * goes with any system header; it compiles as C11 and as C++17.
 */
#ifndef MMUSIM_TYPES_PUBLIC_H
#define MMUSIM_TYPES_PUBLIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The functions of the shared library's stable API. */
#if defined(__GNUC__)
#define MMUSIM_API __attribute__((visibility("default")))
#else
#define MMUSIM_API
#endif

/* A guest page: the unit of mmusim_vcpu_back() and of the walks. */
#define MMUSIM_PAGE_SHIFT 12
#define MMUSIM_PAGE_BYTES (UINT64_C(1) << MMUSIM_PAGE_SHIFT)

/* What CPUID says about paging. */
enum mmusim_vendor {
	MMUSIM_VENDOR_INTEL = 0,
	MMUSIM_VENDOR_AMD = 1,
};

struct mmusim_cpu {
	enum mmusim_vendor vendor;
	/* Physical-address width, 32..52. */
	uint8_t maxphyaddr;
	/* 1G pages (CPUID.80000001H:EDX.Page1GB). */
	bool gbpages;
};

enum mmusim_access_kind {
	MMUSIM_ACCESS_READ,
	MMUSIM_ACCESS_WRITE,
	MMUSIM_ACCESS_FETCH,
};

/* The nested stage: none, or L1's EPT or NPT tables. */
enum mmusim_nested_kind {
	MMUSIM_NESTED_NONE,
	MMUSIM_NESTED_EPT,
	MMUSIM_NESTED_NPT,
};

/*
 * A guest fault.  It is a result of an access, not an error of the call:
 * the functions that walk return 1 and fill a struct mmusim_fault.
 */
enum mmusim_fault_kind {
	MMUSIM_FAULT_NONE,
	/* #PF injected into the guest; address is CR2. */
	MMUSIM_FAULT_PF,
	/* #GP: a non-canonical address, or a PAE PDPTR load that failed. */
	MMUSIM_FAULT_GP,
	/* VM exits to L1 from the nested stage; address is the nGPA. */
	MMUSIM_FAULT_EPT_VIOLATION,
	MMUSIM_FAULT_EPT_MISCONFIG,
	MMUSIM_FAULT_NPF,
};

struct mmusim_fault {
	enum mmusim_fault_kind kind;
	/* A VM exit of the nested stage rather than a fault of the guest. */
	bool nested;
	/* 14 (#PF) or 13 (#GP); 0 for a VM exit. */
	uint8_t vector;
	/* The PFEC; for NPF with bit 32 (final GPA) or 33 (table access). */
	uint64_t error_code;
	/* EPT violations: the exit qualification. */
	uint64_t exit_qualification;
	uint64_t address;
	/* The linear address being translated. */
	uint64_t gva;
	/* Level of the entry that faulted; 0 for a #GP. */
	int level;
};

/* "#PF", "EPT violation", ... for @kind; "?" for a value out of range. */
MMUSIM_API const char *mmusim_fault_name(enum mmusim_fault_kind kind);

#ifdef __cplusplus
}
#endif

#endif
