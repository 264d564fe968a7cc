// The PIN that, with the PCR policy, guards a sealed key: read from a
// root-only file (pin_file) or asked on the terminal (pin = true; twice when
// sealing). The TPM never sees the PIN itself: its auth value is the
// SHA-256 of the PIN, so any length works. The PIN lives only in a locked
// host buffer and is wiped once hashed.
#pragma once

#include <tss2/tss2_tpm2_types.h>

#include "cvfs/plugin.hpp"
#include "tpm_settings.h"

namespace cvfs_tpm {

inline constexpr size_t kMaxPin = 1024;

// Fills `auth` with the PIN's auth value. Throws cvfs::sdk::Error: no
// terminal, a file others may read, an empty PIN, two answers that differ.
void pin_auth(const cvfs::sdk::Call& call, const Settings& settings, uint32_t purpose, TPM2B_AUTH& auth);

}  // namespace cvfs_tpm
