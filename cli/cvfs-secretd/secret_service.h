// The gRPC services of cvfs-secretd: cvfs.secret.v1.SecretRelease (bytes)
// and the Intel secretmanger.SecretManger (a UTF-8 string), both answering
// from the current state (configuration + secret store), which a reload
// replaces as a whole while requests in flight keep the one they started with.
#pragma once

#include <memory>
#include <mutex>

#include "audit_log.h"
#include "cvfs_secret.grpc.pb.h"
#include "daemon_config.h"
#include "secret_store.h"
#include "secretmanger.grpc.pb.h"

namespace cvfs::secretd {

struct ServiceState {
    DaemonConfig config;
    SecretStore store;
};

class StateHolder {
public:
    std::shared_ptr<const ServiceState> get() const {
        std::lock_guard lock(mutex_);
        return state_;
    }
    void set(std::shared_ptr<const ServiceState> state) {
        std::lock_guard lock(mutex_);
        state_ = std::move(state);
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const ServiceState> state_;
};

class CvfsReleaseService final : public cvfs::secret::v1::SecretRelease::Service {
public:
    CvfsReleaseService(const StateHolder& state, AuditLog& audit) : state_(state), audit_(audit) {}
    grpc::Status Release(grpc::ServerContext* context,
                         const cvfs::secret::v1::ReleaseRequest* request,
                         cvfs::secret::v1::ReleaseReply* reply) override;

private:
    const StateHolder& state_;
    AuditLog& audit_;
};

class IntelSecretManagerService final : public secretmanger::SecretManger::Service {
public:
    IntelSecretManagerService(const StateHolder& state, AuditLog& audit)
        : state_(state), audit_(audit) {}
    grpc::Status GetSecret(grpc::ServerContext* context, const secretmanger::SecretRequest* request,
                           secretmanger::SecretReply* reply) override;

private:
    const StateHolder& state_;
    AuditLog& audit_;
};

}  // namespace cvfs::secretd
