// A secret's bytes in memory of their own: the SDK's LockedBytes (locked,
// excluded from core dumps, wiped when the object goes).
#pragma once

#include <cvfs/locked_memory.hpp>

namespace cvfs::secretd {

using sdk::LockedAllocator;
using sdk::LockedBytes;

}  // namespace cvfs::secretd
