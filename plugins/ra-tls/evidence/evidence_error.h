// The one error type of the evidence library: why evidence could not be made
// or was not accepted. The message is for people (logs, audit lines) and never
// holds secret material; `kind` lets callers map it to a status.
#pragma once

#include <stdexcept>
#include <string>

namespace cvfs::ratls {

enum class EvidenceFailure {
    unavailable,  // the TPM or quote device cannot be reached now
    malformed,    // bytes that do not parse as the format says
    refused,      // well-formed, but a signature, chain or binding is wrong
};

class EvidenceError : public std::runtime_error {
public:
    EvidenceError(EvidenceFailure kind, const std::string& message)
        : std::runtime_error(message), kind_(kind) {}
    EvidenceFailure kind() const noexcept { return kind_; }

private:
    EvidenceFailure kind_;
};

[[noreturn]] inline void malformed(const std::string& message) {
    throw EvidenceError(EvidenceFailure::malformed, message);
}
[[noreturn]] inline void refused(const std::string& message) {
    throw EvidenceError(EvidenceFailure::refused, message);
}

}  // namespace cvfs::ratls
