// The services the host offers plugins, called as a plugin would call them.
#include <catch2/catch.hpp>
#include <cstring>
#include <mutex>
#include <vector>

#include "base/log.h"
#include "plugin/plugin_host.h"
#include "plugin_test_support.h"

using namespace cvfs;
using namespace cvfs::test;
using Catch::Matchers::Contains;

namespace {

const cvfs_host_services& services() { return *host_services(); }

PluginRef ref_with_items() {
    PluginRef ref = plugin_ref("fixture-good", "encrypt.fixture");
    ref.items.push_back(string_item("endpoint", "https://kms.example", 4));
    ref.items.push_back(integer_item("retries", 3, 5));
    ConfigItem flag;
    flag.key = "strict";
    flag.type = ConfigItem::Type::Boolean;
    flag.integer = 1;
    flag.where = {"/etc/cvfs/volumes/data0.toml", 6, 10};
    ref.items.push_back(flag);
    return ref;
}

// Captures log lines while alive.
struct LogCapture {
    std::mutex mutex;
    std::vector<std::string> lines;
    LogCapture() {
        set_log_sink([this](LogLevel, const std::string& line) {
            std::lock_guard lock(mutex);
            lines.push_back(line);
        });
    }
    ~LogCapture() { set_log_sink({}); }
};

}  // namespace

TEST_CASE("the services table announces this host") {
    CHECK(services().struct_size == sizeof(cvfs_host_services));
    CHECK(services().abi_major == CVFS_PLUGIN_ABI_MAJOR);
    CHECK(services().abi_minor == CVFS_PLUGIN_ABI_MINOR);
    CHECK(std::string(services().host_version) == CVFS_VERSION);
}

TEST_CASE("config gives the plugin its table, typed and located") {
    PluginRef ref = ref_with_items();
    PluginCall call(volume_named("data0"), ref, in_seconds(5));
    const cvfs_config* config = services().config(call.get());
    REQUIRE(config != nullptr);
    CHECK(std::string(config->source) == "/etc/cvfs/volumes/data0.toml");
    CHECK(std::string(config->table) == "encrypt.fixture");
    REQUIRE(config->count == 3);
    CHECK(std::string(config->items[0].key) == "endpoint");
    CHECK(config->items[0].type == CVFS_VALUE_STRING);
    CHECK(std::string(config->items[0].string) == "https://kms.example");
    CHECK(config->items[0].line == 4);
    CHECK(config->items[1].type == CVFS_VALUE_INTEGER);
    CHECK(config->items[1].integer == 3);
    CHECK(config->items[1].string == nullptr);
    CHECK(config->items[2].type == CVFS_VALUE_BOOLEAN);
    CHECK(config->items[2].integer == 1);
    CHECK(config->items[2].column == 10);
    // The call keeps its own copy: the ref may go away.
    ref.items.clear();
    CHECK(std::string(services().config(call.get())->items[0].string) == "https://kms.example");
    CHECK(services().config(nullptr)->count == 0);
}

TEST_CASE("volume_name names the call's volume") {
    PluginCall call(volume_named("data0"), plugin_ref("fixture-good"), in_seconds(5));
    CHECK(std::string(services().volume_name(call.get())) == "data0");
}

TEST_CASE("token values are read and written on the call's token") {
    TokenValues token{{"sealed.blob", "aGVsbG8="}};
    PluginCall call(volume_named("data0"), plugin_ref("fixture-good"), in_seconds(5), &token);
    char value[64];
    size_t length = 0;
    REQUIRE(services().token_get(call.get(), "sealed.blob", value, sizeof value, &length) == CVFS_OK);
    CHECK(std::string(value) == "aGVsbG8=");
    CHECK(length == 8);
    CHECK_FALSE(call.token_changed());

    CHECK(services().token_set(call.get(), "sealed.blob", "aGVsbG8=") == CVFS_OK);
    CHECK_FALSE(call.token_changed());  // same value: nothing to write back
    CHECK(services().token_set(call.get(), "key-id", "kms-42") == CVFS_OK);
    CHECK(call.token_changed());
    CHECK(token.at("key-id") == "kms-42");
    CHECK(services().token_get(call.get(), "absent", value, sizeof value, &length) == CVFS_E_NOT_FOUND);
}

TEST_CASE("token_get says how much room a long value needs") {
    TokenValues token{{"blob", "0123456789"}};
    PluginCall call(volume_named("data0"), plugin_ref("fixture-good"), in_seconds(5), &token);
    char value[10];
    size_t length = 0;
    CHECK(services().token_get(call.get(), "blob", value, sizeof value, &length) == CVFS_E_BUFFER_TOO_SMALL);
    CHECK(length == 10);  // needs 11 with the NUL
    CHECK(services().token_get(call.get(), "blob", nullptr, 0, &length) == CVFS_E_BUFFER_TOO_SMALL);
    char room[11];
    CHECK(services().token_get(call.get(), "blob", room, sizeof room, &length) == CVFS_OK);
    CHECK(std::string(room) == "0123456789");
}

TEST_CASE("token keys and values are checked") {
    TokenValues token;
    PluginCall call(volume_named("data0"), plugin_ref("fixture-good"), in_seconds(5), &token);
    CHECK(services().token_set(call.get(), "Upper", "x") == CVFS_E_INVALID_ARGUMENT);
    CHECK(services().token_set(call.get(), "a key", "x") == CVFS_E_INVALID_ARGUMENT);
    CHECK(services().token_set(call.get(), "", "x") == CVFS_E_INVALID_ARGUMENT);
    CHECK(services().token_set(call.get(), "ok", "line\nbreak") == CVFS_E_INVALID_ARGUMENT);
    CHECK(services().token_set(call.get(), "ok", "\x80" "binary") == CVFS_E_INVALID_ARGUMENT);
    CHECK(services().token_set(call.get(), "ok", nullptr) == CVFS_E_INVALID_ARGUMENT);
    CHECK(token.empty());
    CHECK_FALSE(call.token_changed());
    CHECK(valid_token_key("tpm2.pcr-bank_sha256"));
    CHECK(valid_token_value("printable text ~"));
}

TEST_CASE("without a token, token access is not supported") {
    PluginCall call(volume_named("data0"), plugin_ref("fixture-dev", "device"), in_seconds(5));
    char value[8];
    size_t length = 0;
    CHECK(services().token_get(call.get(), "x", value, sizeof value, &length) == CVFS_E_NOT_SUPPORTED);
    CHECK(services().token_set(call.get(), "x", "y") == CVFS_E_NOT_SUPPORTED);
}

TEST_CASE("secret buffers are zeroed, sized, and released") {
    cvfs_secret secret{};
    REQUIRE(services().secret_alloc(100, &secret) == CVFS_OK);
    REQUIRE(secret.data != nullptr);
    CHECK(secret.capacity == 100);
    CHECK(secret.length == 0);
    std::vector<uint8_t> zeros(100, 0);
    CHECK(std::memcmp(secret.data, zeros.data(), 100) == 0);
    std::memset(secret.data, 0xab, 100);
    secret.capacity = 1;  // a plugin scribbling on the struct does not change what is freed
    services().secret_free(&secret);
    CHECK(secret.data == nullptr);
    CHECK(secret.capacity == 0);
    services().secret_free(&secret);  // freeing an empty struct is harmless
    CHECK(services().secret_alloc(0, &secret) == CVFS_E_INVALID_ARGUMENT);
    CHECK(services().secret_alloc(16, nullptr) == CVFS_E_INVALID_ARGUMENT);
}

TEST_CASE("freeing memory the host did not hand out is logged, not done") {
    LogCapture capture;
    uint8_t stack[8] = {1};
    cvfs_secret foreign{stack, sizeof stack, 0};
    services().secret_free(&foreign);
    CHECK(foreign.data == stack);
    CHECK(stack[0] == 1);
    REQUIRE(capture.lines.size() == 1);
    CHECK_THAT(capture.lines[0], Contains("secret_free called with a buffer the host did not allocate"));
}

TEST_CASE("remaining_ms counts down to the deadline") {
    using clock = std::chrono::steady_clock;
    PluginCall none(volume_named("data0"), plugin_ref("fixture-good"), clock::time_point::max());
    CHECK(services().remaining_ms(none.get()) == INT64_MAX);
    PluginCall soon(volume_named("data0"), plugin_ref("fixture-good"), in_seconds(5));
    int64_t left = services().remaining_ms(soon.get());
    CHECK(left > 4000);
    CHECK(left <= 5000);
    PluginCall late(volume_named("data0"), plugin_ref("fixture-good"), in_seconds(-1));
    CHECK(services().remaining_ms(late.get()) < 0);
}

TEST_CASE("is_cancelled follows the host's cancel flag") {
    std::atomic<bool> cancel{false};
    PluginCall call(volume_named("data0"), plugin_ref("fixture-good"), in_seconds(5), nullptr, &cancel);
    CHECK(services().is_cancelled(call.get()) == 0);
    cancel = true;
    CHECK(services().is_cancelled(call.get()) != 0);
    PluginCall never(volume_named("data0"), plugin_ref("fixture-good"), in_seconds(5));
    CHECK(services().is_cancelled(never.get()) == 0);
}

TEST_CASE("log lines name the plugin and the volume, on one line") {
    LogCapture capture;
    PluginCall call(volume_named("data0"), plugin_ref("fixture-good"), in_seconds(5));
    services().log(call.get(), CVFS_LOG_WARNING, "slow\nservice");
    {
        std::string name = "fixture-dev";
        CurrentPluginScope scope(name);
        services().log(nullptr, CVFS_LOG_INFO, "starting");
    }
    services().log(nullptr, CVFS_LOG_INFO, nullptr);
    REQUIRE(capture.lines.size() == 3);
    CHECK(capture.lines[0] == "plugin fixture-good: volume data0: slow?service");
    CHECK(capture.lines[1] == "plugin fixture-dev: starting");
    CHECK(capture.lines[2] == "plugin (unknown): (no message)");
}

TEST_CASE("statuses read as words") {
    CHECK(status_text(CVFS_E_PERMISSION_DENIED) == "permission denied");
    CHECK(status_text(CVFS_E_DEADLINE_EXCEEDED) == "deadline exceeded");
    CHECK(status_text(-99) == "unknown status -99");
    char message[8] = {'a', 'b', '\t', 'c', 'd', 'e', 'f', 'g'};  // not NUL-terminated
    CHECK(plugin_message(message, sizeof message) == "ab?cdefg");
    CHECK(plugin_message("", 1) == "(no message)");
}
