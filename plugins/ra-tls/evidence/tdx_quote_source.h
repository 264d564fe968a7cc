// Where a TD gets its TDX quote for 64 bytes of report_data:
//  - the kernel's configfs-tsm report interface (Linux 6.7+): a directory of
//    its own under <report_dir>, 64 bytes written to inblob, the quote read
//    from outblob, the generation counter checked against concurrent use;
//  - or a command (a vendor's quote tool, a test's quote generator) that reads
//    the 64 bytes on stdin and writes the quote on stdout.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "bytes.h"

namespace cvfs::ratls {

using ReportData = std::array<uint8_t, 64>;

// Throws EvidenceError(unavailable) with what went wrong and what to do.
Bytes tdx_quote_from_configfs(const std::string& report_dir, const ReportData& report_data);
Bytes tdx_quote_from_command(const std::string& command, const ReportData& report_data);

}  // namespace cvfs::ratls
