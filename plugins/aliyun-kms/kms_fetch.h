// GetSecretValue against a KMS instance, with deadline, retries and errors a
// person can act on.
//
// One call signs and sends the request, and writes the secret (base64-decoded
// as the seed tool does, or raw) into the host's locked buffer. Throttling
// (Rejected.Throttling, HTTP 429), server trouble (5xx,
// ServiceUnavailableTemporary, InternalFailure) and network failures are
// retried with exponential backoff and jitter, within the host's deadline and
// max_attempts; other 4xx answers are final. RequestTimeTooSkewed is reported
// as clock skew with the measured difference. Every error names the volume,
// the endpoint, the secret's name, the KMS error code and request id, and
// never a secret.
#pragma once

#include "cvfs/plugin.hpp"
#include "kms_settings.h"
#include "kms_signing.h"

namespace cvfs::kms {

void fetch_secret(const CryptoContext& crypto, const sdk::Call& call, const Settings& settings,
                  sdk::SecretOut& out);

// The headers of a signed GetSecretValue request for `body` at `now`.
HeaderList signed_headers(const ClientKey& key, const std::string& body, std::time_t now);

}  // namespace cvfs::kms
