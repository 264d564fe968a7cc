// Volume files: the seed's files parse unchanged, every cvfs key is read, and
// each broken file fails with its exact "<file>:<line>:<col>: ...; expected"
// message (fixtures in tests/data/config/{seed,good,bad}).
#include "config/config_loader.h"

#include <catch2/catch.hpp>

#include "base/error.h"

using cvfs::ConfigItem;
using cvfs::IntegrityMode;

namespace {

std::string fixture(const std::string& name) {
    return std::string(CVFS_TEST_DATA) + "/config/" + name + ".toml";
}

cvfs::VolumeConfig parse(const std::string& name) {
    return cvfs::parse_volume_file(fixture(name), cvfs::GlobalConfig{});
}

// The message (after "<file>:") of the error a bad fixture raises.
std::string error_of(const std::string& name) {
    try {
        parse("bad/" + name);
    } catch (const cvfs::Error& error) {
        CHECK(error.kind() == cvfs::ErrorKind::Config);
        std::string message = error.what();
        std::string prefix = fixture("bad/" + name) + ":";
        REQUIRE(message.rfind(prefix, 0) == 0);
        return message.substr(prefix.size());
    }
    FAIL("bad/" << name << " parsed without an error");
    return {};
}

std::string hint_of(const std::string& name) {
    try {
        parse("bad/" + name);
    } catch (const cvfs::Error& error) {
        return error.hint();
    }
    return "(no error)";
}

const ConfigItem& item(const cvfs::PluginRef& plugin, const std::string& key, size_t nth = 0) {
    for (const ConfigItem& candidate : plugin.items) {
        if (candidate.key == key && nth-- == 0) return candidate;
    }
    FAIL("no item " << key << " in " << plugin.table);
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("the seed's otp example parses unchanged", "[seed]") {
    cvfs::VolumeConfig volume = parse("seed/otp");
    CHECK(volume.name == "data0");
    CHECK(volume.dev == "/dev/nvme1n1p1");
    CHECK(volume.auto_open);
    REQUIRE(volume.fs);
    CHECK(volume.fs->name == "ext4");
    CHECK(volume.fs->items.empty());
    CHECK(volume.luks.integrity == IntegrityMode::HmacSha256);
    CHECK(volume.luks.cipher == "aes-xts-plain64");
    CHECK(volume.luks.key_bits == 512);
    CHECK(volume.luks.sector_size == 4096);
    CHECK(volume.key_provider.name == "otp");
    CHECK(volume.key_provider.table == "encrypt.otp");
    CHECK(volume.key_provider.items.empty());
    CHECK(volume.device.name == "nvme");
    CHECK_FALSE(volume.mount);
    CHECK(volume.timeout == std::chrono::seconds(60));
    CHECK(volume.file == fixture("seed/otp"));
}

TEST_CASE("the seed's kms example parses unchanged and maps kms to aliyun-kms", "[seed]") {
    cvfs::VolumeConfig volume = parse("seed/kms");
    CHECK(volume.name == "data0");
    CHECK(volume.key_provider.name == "aliyun-kms");
    CHECK(volume.key_provider.table == "encrypt.kms");
    CHECK(volume.key_provider.where.str() == fixture("seed/kms") + ":13:10");
    REQUIRE(volume.key_provider.items.size() == 5);
    const ConfigItem& secret = item(volume.key_provider, "secret_name");
    CHECK(secret.type == ConfigItem::Type::String);
    CHECK(secret.string == "XXXXXXXXX");
    CHECK(secret.where.str() == fixture("seed/kms") + ":15:15");
    CHECK(item(volume.key_provider, "client_key").string ==
          "{\n  \"KeyId\": \"KAAP.XXXXXXXXX\",\n  \"PrivateKeyData\": \"XXXXXXXXX\"\n}");
    CHECK(item(volume.key_provider, "kms_cert_pem").string ==
          "-----BEGIN CERTIFICATE-----\nXXXXXXXXX\n");
    CHECK(item(volume.key_provider, "kms_instance_id").string == "kst-XXXXXXXXX");
    CHECK(item(volume.key_provider, "client_key_password").string == "XXXXXXXXX");
}

TEST_CASE("a file with every cvfs key fills every field", "[good]") {
    cvfs::VolumeConfig volume = parse("good/full");
    CHECK(volume.name == "full-1.vol_A");
    CHECK(volume.dev == "/var/lib/cvfs/full.img");
    CHECK(volume.timeout == std::chrono::seconds(120));
    CHECK(volume.luks.integrity == IntegrityMode::Aead);
    CHECK(volume.luks.cipher == "aes-gcm-random");
    CHECK(volume.luks.key_bits == 256);
    CHECK(volume.luks.sector_size == 512);
    REQUIRE(volume.mount);
    CHECK(volume.mount->point == "/mnt/full");
    CHECK(volume.mount->options == "noatime,nodev");

    const cvfs::PluginRef& provider = volume.key_provider;
    CHECK(provider.name == "exec");
    REQUIRE(provider.items.size() == 6);
    CHECK(item(provider, "args", 0).string == "--volume");
    CHECK(item(provider, "args", 1).string == "full");
    CHECK(item(provider, "args", 1).where.str() == fixture("good/full") + ":11:21");
    CHECK(item(provider, "retries").type == ConfigItem::Type::Integer);
    CHECK(item(provider, "retries").integer == 3);
    CHECK(item(provider, "verbose").type == ConfigItem::Type::Boolean);
    CHECK(item(provider, "verbose").integer == 0);
    CHECK(item(provider, "env.region").string == "cn-hangzhou");

    CHECK(volume.device.name == "loop");
    CHECK(volume.device.table == "device");
    REQUIRE(volume.device.items.size() == 2);
    CHECK(item(volume.device, "size").string == "1G");
    CHECK(item(volume.device, "sparse").integer == 1);

    REQUIRE(volume.fs);
    CHECK(volume.fs->name == "xfs");
    CHECK(volume.fs->table == "fs");
    CHECK(volume.fs->where.str() == fixture("good/full") + ":5:10");
    CHECK(item(*volume.fs, "label").string == "full");
    CHECK(item(*volume.fs, "reflink").integer == 1);
}

TEST_CASE("PARTUUID devices default to nvme, tpm2 maps to tpm", "[good]") {
    cvfs::VolumeConfig volume = parse("good/partuuid");
    CHECK(volume.dev == "PARTUUID=0b1d8c36-2c6e-4f1a-9a53-0d7a8c2f3e11");
    CHECK(volume.device.name == "nvme");
    CHECK(volume.key_provider.name == "tpm");
    CHECK(volume.luks.integrity == IntegrityMode::HmacSha256);
    CHECK(volume.luks.key_bits == 256);
    CHECK(volume.timeout == std::chrono::seconds(45));
    CHECK_FALSE(volume.fs);
}

TEST_CASE("a minimal file takes every default, the timeout from the global config", "[good]") {
    cvfs::GlobalConfig global;
    global.default_timeout = std::chrono::seconds(17);
    cvfs::VolumeConfig volume = cvfs::parse_volume_file(fixture("good/minimal"), global);
    CHECK_FALSE(volume.auto_open);
    CHECK(volume.luks.integrity == IntegrityMode::None);
    CHECK(volume.luks.cipher == "aes-xts-plain64");
    CHECK(volume.device.name == "nvme");
    CHECK(volume.timeout == std::chrono::seconds(17));
}

TEST_CASE("unknown keys are errors that list the known ones", "[bad]") {
    CHECK(error_of("unknown_top") ==
          "5:1: unknown key 'mkfs'; expected one of volume, dev, auto_open, makefs, integrity, "
          "timeout, encrypt, device, fs, mount, luks, rollback");
    CHECK(hint_of("unknown_top") == "did you mean 'makefs'?");
    CHECK(error_of("unknown_mount") ==
          "10:1: unknown key 'opts' in [mount]; expected one of point, options");
    CHECK(error_of("unknown_luks") ==
          "9:1: unknown key 'pbkdf' in [luks]; expected one of cipher, key_size, sector_size");
}

TEST_CASE("wrong types and missing keys are errors", "[bad]") {
    CHECK(error_of("wrong_type") == "4:13: 'auto_open' is a string; expected true or false");
    CHECK(error_of("missing_volume") ==
          "1:1: missing key 'volume'; expected the volume's name, e.g. volume = \"data0\"");
    CHECK(error_of("missing_dev") ==
          "1:1: missing key 'dev'; expected the device, e.g. dev = \"/dev/nvme1n1p1\"");
    CHECK(error_of("mount_without_point") ==
          "8:1: missing key 'point' in [mount]; expected the directory to mount on, e.g. "
          "point = \"/mnt/data0\"");
}

TEST_CASE("exactly one key provider", "[bad]") {
    CHECK(error_of("two_providers") ==
          "7:10: [encrypt] names 2 key providers (kms, otp); expected exactly one "
          "[encrypt.<provider>] table, e.g. [encrypt.otp]");
    CHECK(error_of("no_provider") ==
          "5:1: [encrypt] names no key provider; expected exactly one [encrypt.<provider>] "
          "table, e.g. [encrypt.otp]");
    CHECK(error_of("no_encrypt") ==
          "1:1: missing [encrypt.<provider>] table; expected exactly one key provider, e.g. "
          "[encrypt.otp]");
}

TEST_CASE("LUKS parameters outside the allow-list are errors", "[bad]") {
    CHECK(error_of("bad_cipher") ==
          "8:10: invalid value \"aes-cbc-essiv:sha256\" for 'cipher' in [luks]; expected one "
          "of aes-xts-plain64, aes-gcm-random");
    CHECK(error_of("gcm_without_aead") ==
          "9:10: cipher \"aes-gcm-random\" with integrity \"hmac-sha256\"; expected integrity = "
          "\"aead\" for this cipher");
    CHECK(error_of("xts_with_aead") ==
          "9:10: cipher \"aes-xts-plain64\" with integrity \"aead\"; expected cipher = "
          "\"aes-gcm-random\" for integrity \"aead\"");
    CHECK(error_of("bad_key_size") ==
          "8:12: invalid value 384 for 'key_size' in [luks]; expected 256 or 512 for "
          "aes-xts-plain64");
    CHECK(error_of("bad_sector_size") ==
          "8:15: invalid value 8192 for 'sector_size' in [luks]; expected one of 512, 1024, "
          "2048, 4096");
    CHECK(error_of("bad_integrity") ==
          "4:13: invalid value \"sha1\" for 'integrity'; expected true, false, \"none\", "
          "\"hmac-sha256\" or \"aead\"");
}

TEST_CASE("filesystem and mount rules", "[bad]") {
    CHECK(error_of("mount_swap") ==
          "8:1: [mount] on a swap volume; expected no [mount] table when makefs = \"swap\"");
    CHECK(hint_of("mount_swap") == "swap is enabled with swapon, not mounted; remove [mount]");
    CHECK(error_of("fs_without_makefs") ==
          "7:1: [fs] without 'makefs'; expected makefs = \"<filesystem>\" when [fs] is given");
    CHECK(error_of("bad_makefs") ==
          "4:10: invalid value \"Ext 4\" for 'makefs'; expected lowercase letters, digits, '_' "
          "or '-', e.g. ext4, xfs, vfat, swap");
    CHECK(error_of("relative_mount_point") ==
          "9:9: invalid value \"mnt/data0\" for 'point' in [mount]; expected an absolute "
          "directory");
}

TEST_CASE("names and devices are checked", "[bad]") {
    CHECK(error_of("bad_volume_name") ==
          "2:10: invalid value \"data/0\" for 'volume'; expected 1 to 64 letters, digits, '_', "
          "'.' or '-', starting with a letter or digit");
    CHECK(error_of("relative_dev") ==
          "3:7: invalid value \"disk.img\" for 'dev'; expected an absolute path, PARTUUID=... or "
          "PARTLABEL=...");
}

TEST_CASE("a TOML syntax error carries the parser's description and position", "[bad]") {
    CHECK(error_of("syntax_error") ==
          "3:22: Error while parsing string: unescaped control characters other than TAB "
          "(U+0009) are explicitly prohibited; expected valid TOML");
}

TEST_CASE("provider tables take only strings, integers, booleans, string arrays", "[bad]") {
    CHECK(error_of("float_in_provider") ==
          "7:16: 'retry_factor' in [encrypt.kms] is a floating-point number; expected a string, "
          "an integer, a boolean, an array of strings or a table");
    CHECK(error_of("array_of_tables_in_provider") ==
          "8:1: 'steps' in [encrypt.exec] is an array of tables; expected a string, an integer, "
          "a boolean, an array of strings or a table");
}

TEST_CASE("timeouts are whole seconds or a number with s, m or h", "[bad]") {
    CHECK(error_of("bad_timeout") ==
          "4:11: invalid value \"10 minutes\" for 'timeout'; expected a number of seconds or a "
          "string like \"30s\", \"2m\", \"1h\"");
    CHECK(error_of("zero_timeout") ==
          "4:11: invalid value 0 for 'timeout'; expected 1 second to 24 hours");
}

TEST_CASE("an unreadable path is a configuration error naming it", "[bad]") {
    std::string missing = fixture("bad/does_not_exist");
    try {
        cvfs::parse_volume_file(missing, cvfs::GlobalConfig{});
        FAIL("a missing file parsed");
    } catch (const cvfs::Error& error) {
        CHECK(error.kind() == cvfs::ErrorKind::Config);
        CHECK(std::string(error.what()) ==
              missing + ": cannot read the file: No such file or directory");
    }
}

TEST_CASE("[rollback] names the counter; its other keys are the counter plugin's", "[good]") {
    cvfs::VolumeConfig volume = parse("good/rollback");
    REQUIRE(volume.rollback_counter);
    CHECK(volume.rollback_counter->name == "tpm");
    CHECK(volume.rollback_counter->table == "rollback");
    CHECK(volume.rollback_counter->where.str() == fixture("good/rollback") + ":9:11");
    REQUIRE(volume.rollback_counter->items.size() == 1);
    CHECK(item(*volume.rollback_counter, "tcti").string == "swtpm:host=127.0.0.1,port=2321");
    CHECK_FALSE(parse("good/rollback_none").rollback_counter);
    CHECK_FALSE(parse("good/minimal").rollback_counter);
}

TEST_CASE("[rollback] mistakes name the file, the line and what is expected", "[bad]") {
    CHECK(error_of("rollback_without_counter") ==
          "8:1: missing key 'counter' in [rollback]; expected counter = \"tpm\", \"secretd\" or \"none\" "
          "(see docs/rollback.md)");
    CHECK(error_of("rollback_bad_counter") ==
          "9:11: invalid value \"TPM 2\" for 'counter' in [rollback]; expected \"tpm\", \"secretd\" or "
          "\"none\" (a rollback counter plugin's name)");
    CHECK(error_of("rollback_none_with_keys") ==
          "10:8: 'tcti' in [rollback] with counter = \"none\"; expected no other key in [rollback] when there "
          "is no counter");
}
