// Tests of the rollback counter "tpm" (counter-tpm.so) against a real TPM 2.0
// emulator (swtpm): an NV counter index is defined at create and readable at
// once, increments by one, a second volume gets the next free index, a
// deleted index is CVFS_E_NOT_FOUND naming it, an index that is no counter
// is refused, and bad ids, keys and an absent TPM are each their own error.
#include <cvfs/rollback_counter.h>
#include <tss2/tss2_esys.h>

#include <catch2/catch.hpp>

#include "swtpm_fixture.h"
#include "tpm_context.h"

using namespace plugins_test;

namespace {

const Plugin& counter_plugin() {
    static Plugin plugin("counter-tpm.so");
    return plugin;
}

const cvfs_rollback_counter_ops& ops() { return counter_plugin().ops<cvfs_rollback_counter_ops>(); }

struct Outcome {
    cvfs_status status = CVFS_E_INTERNAL;
    std::string id;
    uint64_t value = 0;
    std::string message;
};


Outcome create(TestCall& call) {
    char id[CVFS_COUNTER_ID_MAX] = "";
    ErrorText error;
    Outcome out;
    out.status = ops().create(counter_plugin().context(), call.raw(), id, sizeof id, &out.value, error.get());
    out.id = id;
    out.message = error.str();
    return out;
}

Outcome read(TestCall& call, const std::string& id) {
    ErrorText error;
    Outcome out;
    out.status = ops().read(counter_plugin().context(), call.raw(), id.c_str(), &out.value, error.get());
    out.message = error.str();
    return out;
}

Outcome increment(TestCall& call, const std::string& id) {
    ErrorText error;
    Outcome out;
    out.status = ops().increment(counter_plugin().context(), call.raw(), id.c_str(), &out.value, error.get());
    out.message = error.str();
    return out;
}

// Undefines an NV index with the owner's authorisation, as an attacker with
// the owner hierarchy (or tpm2_nvundefine) would.
void undefine(const tpm_test::Swtpm& tpm, uint32_t index) {
    cvfs_tpm::TpmContext context(tpm.tcti());
    ESYS_TR nv = ESYS_TR_NONE;
    REQUIRE(Esys_TR_FromTPMPublic(context.esys(), index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv) ==
            TSS2_RC_SUCCESS);
    REQUIRE(Esys_NV_UndefineSpace(context.esys(), ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                  ESYS_TR_NONE) == TSS2_RC_SUCCESS);
}

// Defines an ordinary (not counter) 8-byte index.
void define_plain(const tpm_test::Swtpm& tpm, uint32_t index) {
    cvfs_tpm::TpmContext context(tpm.tcti());
    TPM2B_AUTH auth{};
    TPM2B_NV_PUBLIC pub{};
    pub.nvPublic.nvIndex = index;
    pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
    pub.nvPublic.attributes = TPMA_NV_OWNERWRITE | TPMA_NV_AUTHREAD | TPMA_NV_OWNERREAD;
    pub.nvPublic.dataSize = 8;
    ESYS_TR nv = ESYS_TR_NONE;
    REQUIRE(Esys_NV_DefineSpace(context.esys(), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                &auth, &pub, &nv) == TSS2_RC_SUCCESS);
    Esys_TR_Close(context.esys(), &nv);
}

}  // namespace

TEST_CASE("the plugin is a rollback counter called tpm") {
    CHECK(counter_plugin().descriptor().kind == CVFS_KIND_ROLLBACK_COUNTER);
    CHECK(std::string(counter_plugin().descriptor().name) == "tpm");
    CHECK(counter_plugin().descriptor().abi_minor >= 1);
}

TEST_CASE("create defines a readable counter index; increment adds one; the next volume gets the next index") {
    tpm_test::Swtpm tpm;
    TestCall call("rollback");
    call.string("tcti", tpm.tcti(), 10);
    Outcome made = create(call);
    INFO(made.message);
    REQUIRE(made.status == CVFS_OK);
    CHECK(made.id == "0x01300000");
    CHECK(made.value >= 1);
    Outcome now = read(call, made.id);
    REQUIRE(now.status == CVFS_OK);
    CHECK(now.value == made.value);
    Outcome up = increment(call, made.id);
    REQUIRE(up.status == CVFS_OK);
    CHECK(up.value == made.value + 1);
    CHECK(read(call, made.id).value == made.value + 1);

    Outcome second = create(call);
    REQUIRE(second.status == CVFS_OK);
    CHECK(second.id == "0x01300001");
    CHECK(read(call, made.id).value == made.value + 1);  // the first is untouched
}

TEST_CASE("a deleted counter index is not found, naming the index") {
    tpm_test::Swtpm tpm;
    TestCall call("rollback");
    call.string("tcti", tpm.tcti(), 10);
    Outcome made = create(call);
    REQUIRE(made.status == CVFS_OK);
    undefine(tpm, 0x01300000);
    Outcome gone = read(call, made.id);
    CHECK(gone.status == CVFS_E_NOT_FOUND);
    CHECK(gone.message.find("0x01300000") != std::string::npos);
    CHECK(increment(call, made.id).status == CVFS_E_NOT_FOUND);
}

TEST_CASE("an index that is no counter is refused, and skipped by create") {
    tpm_test::Swtpm tpm;
    define_plain(tpm, 0x01300000);
    TestCall call("rollback");
    call.string("tcti", tpm.tcti(), 10);
    Outcome plain = read(call, "0x01300000");
    CHECK(plain.status == CVFS_E_PERMISSION_DENIED);
    CHECK(plain.message.find("not a counter") != std::string::npos);
    CHECK(increment(call, "0x01300000").status == CVFS_E_PERMISSION_DENIED);
    Outcome made = create(call);
    REQUIRE(made.status == CVFS_OK);
    CHECK(made.id == "0x01300001");
}

TEST_CASE("bad ids, unknown keys and an absent TPM are their own errors") {
    tpm_test::Swtpm tpm;
    TestCall call("rollback");
    call.string("tcti", tpm.tcti(), 10);
    for (const char* id : {"", "0x81000001", "0x1300000", "01300000xx", "0x0130000G"}) {
        Outcome bad = read(call, id);
        CHECK(bad.status == CVFS_E_INVALID_ARGUMENT);
    }
    TestCall unknown("rollback");
    unknown.string("tcti", tpm.tcti(), 10).string("pcrs", "sha256:7", 11);
    ErrorText error;
    CHECK(ops().check_config(counter_plugin().context(), unknown.raw(), error.get()) == CVFS_E_INVALID_CONFIG);
    CHECK(error.str().find("unknown key 'pcrs'") != std::string::npos);

    TestCall absent("rollback");
    absent.string("tcti", "swtpm:host=127.0.0.1,port=" + std::to_string(tpm_test::free_port_pair()), 10);
    CHECK(create(absent).status == CVFS_E_UNAVAILABLE);
}
