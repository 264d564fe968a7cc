// The locked, wiped memory the aliyun-kms plugin keeps its secrets in for a
// moment (the client key file, its password, the PKCS#12 bytes and the KMS
// response): the SDK's LockedAllocator and the containers on it.
#pragma once

#include <cvfs/locked_memory.hpp>

namespace cvfs::kms {

using sdk::LockedAllocator;
using sdk::SecretBytes;
using sdk::SecretText;
using sdk::view;

}  // namespace cvfs::kms
