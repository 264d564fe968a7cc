// The secret store: one JSON object mapping app ids to secrets, the format
// of the Intel secretmanager's secret.json ({"luksKey": "..."}), so an
// existing file works unchanged. The file must be a regular file, owned by
// root or the service's user, mode 0600 or 0400. Values live in locked
// memory; the file's text is read into locked memory too and wiped.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "locked_bytes.h"

namespace cvfs::secretd {

class SecretStore {
public:
    // Throws std::runtime_error naming the file (and line for JSON errors).
    static SecretStore load(const std::string& path);
    // Parses the JSON text (exposed for tests).
    static SecretStore parse(std::span<const uint8_t> text, const std::string& where);

    // The secret of `id`, or nullptr. Valid while the store lives.
    const LockedBytes* find(const std::string& id) const;
    size_t size() const { return secrets_.size(); }
    std::vector<std::string> ids() const;

private:
    std::map<std::string, LockedBytes> secrets_;
};

}  // namespace cvfs::secretd
