/* What every cache model makes of a walk (sim/cache_model_walk.h). */
#include "sim/cache_model_walk.h"

/* The ACC_* rights of entries of @w's format, ANDed, NX ORed. */
static unsigned int path_access(const struct kvm_pagewalk *w,
				const struct walk_path *path)
{
	bool ept = w->role.ept;
	bool nx = !ept && w->role.level != PT32_ROOT_LEVEL;
	unsigned int access = ACC_ALL;
	int i;

	for (i = 0; i < path->nr_entries; i++) {
		u64 pte = path->entries[i].after;
		unsigned int a = 0;

		if (ept) {
			a |= (pte & EPT_READABLE_MASK) ? ACC_READ_MASK : 0;
			a |= (pte & EPT_WRITABLE_MASK) ? ACC_WRITE_MASK : 0;
			a |= (pte & EPT_EXECUTABLE_MASK) ? ACC_EXEC_MASK : 0;
			a |= (pte & EPT_USER_EXECUTABLE_MASK) ?
				     ACC_USER_EXEC_MASK :
				     0;
		} else {
			a = pte &
			    (PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK);
			if (!nx || !(pte & PT64_NX_MASK))
				a |= ACC_EXEC_MASK;
		}
		access &= a;
	}
	return access;
}

unsigned int cache_walk_nested_access(const struct kvm_pagewalk *nested,
				      const struct walk_path *final)
{
	unsigned int access = path_access(nested, final);
	bool has_ad = !(nested->role.ept && nested->role.ept_ad_disabled);
	u64 dirty = nested->role.ept ? EPT_DIRTY_MASK : PT_DIRTY_MASK;

	if (final->nr_entries && has_ad &&
	    !(final->entries[final->nr_entries - 1].after & dirty))
		access &= ~ACC_WRITE_MASK;
	return access;
}
