// Small helpers of the configuration model (see volume_config.h).
#include "config/volume_config.h"

namespace cvfs {

std::string SourceLocation::str() const {
    if (line == 0) return file;
    std::string s = file + ":" + std::to_string(line);
    if (column) s += ":" + std::to_string(column);
    return s;
}

const char* to_string(IntegrityMode mode) {
    switch (mode) {
        case IntegrityMode::None: return "none";
        case IntegrityMode::HmacSha256: return "hmac-sha256";
        case IntegrityMode::Aead: return "aead";
    }
    return "none";
}

}  // namespace cvfs
