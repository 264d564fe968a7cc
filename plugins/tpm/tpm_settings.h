// What the [encrypt.tpm] table of a volume asks of the TPM key provider.
//
//   tcti           = "device:/dev/tpmrm0"  how to reach the TPM (Tss2_TctiLdr
//                                          syntax: device:PATH, swtpm:host=H,port=P)
//   pcrs           = "sha256:0,7"          bank and PCR indexes the secret is bound to;
//                                          "sha256:" binds to no PCR (any boot state)
//   pin            = true                  also ask for a PIN on the terminal
//   pin_file       = "/etc/cvfs/keys/x.pin" or read the PIN from a root-only file
//   primary_handle = "0x81000001"          keep the storage key persistent there
//                                          (default: made anew and flushed each time)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cvfs/plugin.hpp"

namespace cvfs_tpm {

inline constexpr const char* kDefaultTcti = "device:/dev/tpmrm0";
inline constexpr const char* kDefaultPcrs = "sha256:7";

// A PCR bank and the indexes chosen in it, sorted and without repeats.
struct PcrSelection {
    std::string bank = "sha256";  // sha1 | sha256 | sha384 | sha512
    std::vector<uint32_t> indexes;

    // "sha256:0,7"; "sha256:" when no index is chosen.
    std::string text() const;
    // "0,7"
    std::string index_list() const;
    bool operator==(const PcrSelection&) const = default;
};

// Parses "bank:i,j,..." (indexes 0..23). Throws std::invalid_argument naming
// what is wrong.
PcrSelection parse_pcr_selection(const std::string& text);

struct Settings {
    std::string tcti = kDefaultTcti;
    PcrSelection pcrs;
    bool pin_prompt = false;
    std::string pin_file;        // empty when not configured
    std::string pin_file_where;  // "file:line: " of pin_file
    uint32_t primary_handle = 0; // 0: a transient primary key

    bool pin() const { return pin_prompt || !pin_file.empty(); }
};

// Reads and checks the table; throws cvfs::sdk::Error(CVFS_E_INVALID_CONFIG)
// naming the file, line and key.
Settings read_settings(const cvfs::sdk::Config& config);

}  // namespace cvfs_tpm
