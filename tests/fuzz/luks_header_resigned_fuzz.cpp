// The LUKS2 header target with both copies' checksums recomputed before the
// load (see luks_header_fuzz.cpp), as a host that rewrites a header would.
#define CVFS_FUZZ_RESIGN 1
#include "luks_header_fuzz.cpp"
