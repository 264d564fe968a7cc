// Answering release requests (see secret_service.h).
#include "secret_service.h"

#include <grpcpp/server_context.h>

#include "attestation.h"

namespace cvfs::secretd {
namespace {

std::string peer_certificate(grpc::ServerContext* context) {
    auto auth = context->auth_context();
    if (!auth) return {};
    auto values = auth->FindPropertyValues("x509_pem_cert");
    return values.empty() ? std::string()
                          : std::string(values.front().data(), values.front().size());
}

// True when `bytes` is valid UTF-8 (proto3 strings must be).
bool is_utf8(std::span<const uint8_t> bytes) {
    size_t i = 0;
    while (i < bytes.size()) {
        uint8_t c = bytes[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 0;
        if (n == 0 || bytes.size() - i - 1 < n) return false;
        for (size_t k = 1; k <= n; ++k)
            if ((bytes[i + k] & 0xc0) != 0x80) return false;
        i += n + 1;
    }
    return true;
}

// Decides, audits, and on success hands the secret to `reply_with`.
template <class Reply>
grpc::Status release(const StateHolder& holder, AuditLog& audit, grpc::ServerContext* context,
                     const char* protocol, const std::string& id, Reply&& reply_with) {
    auto state = holder.get();
    const LockedBytes* secret = state->store.find(id);
    Verdict v = decide(peer_certificate(context), id, secret != nullptr, state->config);
    AuditEntry entry{context->peer(), protocol,  id,      v.evidence,
                     v.measurements,  v.allowed, v.reason};
    if (v.allowed && !reply_with(secret->bytes())) {
        entry.allowed = false;
        entry.reason =
            "the secret is not UTF-8 text, which the Intel protocol cannot carry; use protocol "
            "\"cvfs\"";
        v.code = grpc::StatusCode::FAILED_PRECONDITION;
    }
    audit.record(entry);
    if (entry.allowed) return grpc::Status::OK;
    return grpc::Status(v.code, entry.reason.empty() ? v.reason : entry.reason);
}

}  // namespace

grpc::Status CvfsReleaseService::Release(grpc::ServerContext* context,
                                         const cvfs::secret::v1::ReleaseRequest* request,
                                         cvfs::secret::v1::ReleaseReply* reply) {
    return release(state_, audit_, context, "cvfs", request->secret_id(),
                   [&](std::span<const uint8_t> secret) {
                       reply->set_secret(secret.data(), secret.size());
                       return true;
                   });
}

grpc::Status IntelSecretManagerService::GetSecret(grpc::ServerContext* context,
                                                  const secretmanger::SecretRequest* request,
                                                  secretmanger::SecretReply* reply) {
    return release(
        state_, audit_, context, "intel", request->name(), [&](std::span<const uint8_t> secret) {
            if (!is_utf8(secret)) return false;
            reply->set_message(reinterpret_cast<const char*>(secret.data()), secret.size());
            return true;
        });
}

}  // namespace cvfs::secretd
