// One volume file -> VolumeConfig. The seed's keys (volume, dev, auto_open,
// makefs, integrity, [encrypt.<provider>]) keep their meaning; cvfs adds
// timeout, [device], [fs], [mount], [luks] and [rollback]. Provider, backend and fs tables
// are passed to their plugins unchecked: the plugin knows its own keys.
#include <algorithm>
#include <array>
#include <cctype>

#include "config/config_loader.h"
#include "config/toml_reader.h"

namespace cvfs {

namespace {

using config_detail::TableReader;

constexpr std::string_view kPluginNameRule = "lowercase letters, digits, '_' or '-'";

bool is_volume_name(std::string_view name) {
    auto allowed = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    };
    return !name.empty() && name.size() <= 64 &&
           std::isalnum(static_cast<unsigned char>(name.front())) &&
           std::all_of(name.begin(), name.end(), allowed);
}

bool is_device_spec(std::string_view dev) {
    for (std::string_view prefix : {"PARTUUID=", "PARTLABEL="}) {
        if (dev.starts_with(prefix)) return dev.size() > prefix.size();
    }
    return config_detail::is_absolute_path(dev);
}

// The seed's provider names, mapped to the plugins that serve them.
std::string provider_plugin(std::string_view provider) {
    if (provider == "kms") return "aliyun-kms";
    if (provider == "tpm2") return "tpm";
    return std::string(provider);
}

void read_identity(const TableReader& top, VolumeConfig& volume) {
    auto name = top.string("volume", "a string like \"data0\"");
    if (!name) top.fail_missing("volume", "the volume's name, e.g. volume = \"data0\"");
    if (!is_volume_name(*name)) {
        top.fail_invalid(
            "volume", "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit",
            "the name becomes /dev/mapper/<name>");
    }
    auto dev = top.string("dev", "a string: an absolute path, PARTUUID=... or PARTLABEL=...");
    if (!dev) top.fail_missing("dev", "the device, e.g. dev = \"/dev/nvme1n1p1\"");
    if (!is_device_spec(*dev)) {
        top.fail_invalid("dev", "an absolute path, PARTUUID=... or PARTLABEL=...",
                         "a block file too needs an absolute path, e.g. /var/lib/cvfs/data0.img");
    }
    volume.name = *name;
    volume.dev = *dev;
    volume.auto_open = top.boolean("auto_open", "true or false").value_or(false);
}

const toml::table& single_provider(const TableReader& encrypt, std::string& name,
                                   SourceLocation& where) {
    std::vector<std::string> found;
    for (auto&& [key, value] : encrypt.table()) {
        found.emplace_back(key.str());
        if (where.line <= key.source().begin.line)
            where = config_detail::location_in(encrypt.file(), key.source());
    }
    if (found.size() != 1) {
        std::string listed;
        for (const std::string& provider : found) listed += (listed.empty() ? "" : ", ") + provider;
        std::string what = found.empty() ? "[encrypt] names no key provider"
                                         : "[encrypt] names " + std::to_string(found.size()) +
                                               " key providers (" + listed + ")";
        config_detail::fail_at(found.empty() ? encrypt.where() : where, what,
                               "exactly one [encrypt.<provider>] table, e.g. [encrypt.otp]");
    }
    name = found.front();
    const toml::table* table = encrypt.subtable(name, "a table, e.g. [encrypt.otp]");
    if (!config_detail::is_plugin_name(name)) {
        config_detail::fail_at(where, "invalid key provider name '" + name + "' in [encrypt]",
                               std::string(kPluginNameRule));
    }
    return *table;
}

PluginRef read_key_provider(const TableReader& top) {
    const toml::table* encrypt =
        top.subtable("encrypt", "a table holding one key provider, e.g. [encrypt.otp]");
    if (!encrypt) {
        config_detail::fail_at(top.where(), "missing [encrypt.<provider>] table",
                               "exactly one key provider, e.g. [encrypt.otp]");
    }
    TableReader encrypt_reader(*encrypt, top.file(), "encrypt");
    PluginRef provider;
    std::string key;
    const toml::table& table = single_provider(encrypt_reader, key, provider.where);
    provider.name = provider_plugin(key);
    provider.table = "encrypt." + key;
    provider.items =
        config_detail::flatten_plugin_table(TableReader(table, top.file(), provider.table));
    return provider;
}

PluginRef read_device(const TableReader& top, const std::string& dev) {
    PluginRef device;
    device.table = "device";
    bool block_file = dev.starts_with("/") && !dev.starts_with("/dev/");
    device.name = block_file ? "loop" : "nvme";
    device.where = top.where_value("dev");
    const toml::table* table = top.subtable("device", "a table [device]");
    if (!table) return device;
    TableReader reader(*table, top.file(), "device");
    if (auto backend = reader.string("backend", "a device backend name, e.g. \"loop\"")) {
        if (!config_detail::is_plugin_name(*backend))
            reader.fail_invalid("backend", kPluginNameRule);
        device.name = *backend;
        device.where = reader.where_value("backend");
    }
    device.items = config_detail::flatten_plugin_table(reader, {"backend"});
    return device;
}

std::optional<PluginRef> read_fs(const TableReader& top) {
    auto makefs = top.string("makefs", "a filesystem maker name, e.g. \"ext4\"");
    const toml::table* table = top.subtable("fs", "a table [fs]");
    if (!makefs) {
        if (table) {
            config_detail::fail_at(config_detail::location_in(top.file(), table->source()),
                                   "[fs] without 'makefs'",
                                   "makefs = \"<filesystem>\" when [fs] is given",
                                   "[fs] holds options for the filesystem maker named by makefs");
        }
        return std::nullopt;
    }
    if (!config_detail::is_plugin_name(*makefs))
        top.fail_invalid("makefs", std::string(kPluginNameRule) + ", e.g. ext4, xfs, vfat, swap");
    PluginRef fs;
    fs.name = *makefs;
    fs.table = "fs";
    fs.where = top.where_value("makefs");
    if (table)
        fs.items = config_detail::flatten_plugin_table(TableReader(*table, top.file(), "fs"));
    return fs;
}

std::optional<MountParams> read_mount(const TableReader& top, const std::optional<PluginRef>& fs) {
    const toml::table* table = top.subtable("mount", "a table [mount]");
    if (!table) return std::nullopt;
    TableReader reader(*table, top.file(), "mount");
    if (fs && fs->name == "swap") {
        config_detail::fail_at(reader.where(), "[mount] on a swap volume",
                               "no [mount] table when makefs = \"swap\"",
                               "swap is enabled with swapon, not mounted; remove [mount]");
    }
    reader.reject_unknown({"point", "options"});
    MountParams mount;
    auto point = reader.string("point", "an absolute directory, e.g. \"/mnt/data0\"");
    if (!point)
        reader.fail_missing("point", "the directory to mount on, e.g. point = \"/mnt/data0\"");
    if (!config_detail::is_absolute_path(*point))
        reader.fail_invalid("point", "an absolute directory");
    mount.point = *point;
    mount.options = reader.string("options", "a string like \"noatime,nodev\"").value_or("");
    return mount;
}

IntegrityMode read_integrity(const TableReader& top) {
    constexpr std::string_view expected = "true, false, \"none\", \"hmac-sha256\" or \"aead\"";
    const toml::node* value = top.node("integrity");
    if (!value) return IntegrityMode::None;
    if (auto flag = value->value_exact<bool>())
        return *flag ? IntegrityMode::HmacSha256 : IntegrityMode::None;
    auto text = top.string("integrity", expected);
    for (IntegrityMode mode :
         {IntegrityMode::None, IntegrityMode::HmacSha256, IntegrityMode::Aead}) {
        if (*text == to_string(mode)) return mode;
    }
    top.fail_invalid("integrity", expected);
}

void check_cipher(const TableReader& luks, const LuksParams& params) {
    constexpr std::string_view gcm = "aes-gcm-random";
    bool aead = params.integrity == IntegrityMode::Aead;
    if (params.cipher == gcm && !aead) {
        luks.fail_value("cipher",
                        "cipher \"aes-gcm-random\" with integrity \"" +
                            std::string(to_string(params.integrity)) + "\"",
                        "integrity = \"aead\" for this cipher",
                        "set integrity = \"aead\", or use aes-xts-plain64");
    }
    if (params.cipher != gcm && aead) {
        config_detail::fail_at(luks.where_value("cipher"),
                               "cipher \"" + params.cipher + "\" with integrity \"aead\"",
                               "cipher = \"aes-gcm-random\" for integrity \"aead\"",
                               "or set integrity = \"hmac-sha256\" to keep aes-xts-plain64");
    }
}

LuksParams read_luks(const TableReader& top, IntegrityMode integrity) {
    static const toml::table empty;
    const toml::table* table = top.subtable("luks", "a table [luks]");
    TableReader luks(table ? *table : empty, top.file(), "luks");
    luks.reject_unknown({"cipher", "key_size", "sector_size"});
    LuksParams params;
    params.integrity = integrity;
    if (integrity == IntegrityMode::Aead) params.cipher = "aes-gcm-random";
    if (auto cipher = luks.string("cipher", "a cipher name like \"aes-xts-plain64\"")) {
        if (*cipher != "aes-xts-plain64" && *cipher != "aes-gcm-random")
            luks.fail_invalid("cipher", "one of aes-xts-plain64, aes-gcm-random");
        params.cipher = *cipher;
    }
    check_cipher(luks, params);
    bool gcm = params.cipher == "aes-gcm-random";
    params.key_bits = gcm ? 256 : 512;
    if (auto bits = luks.integer("key_size", "a number of bits, e.g. 512")) {
        if (*bits != 256 && (gcm || *bits != 512))
            luks.fail_invalid("key_size",
                              gcm ? "256 for aes-gcm-random" : "256 or 512 for aes-xts-plain64");
        params.key_bits = static_cast<uint32_t>(*bits);
    }
    if (auto sector = luks.integer("sector_size", "a number of bytes, e.g. 4096")) {
        constexpr std::array<int64_t, 4> allowed{512, 1024, 2048, 4096};
        if (std::find(allowed.begin(), allowed.end(), *sector) == allowed.end())
            luks.fail_invalid("sector_size", "one of 512, 1024, 2048, 4096");
        params.sector_size = static_cast<uint32_t>(*sector);
    }
    return params;
}

// [rollback] counter = "tpm" | "secretd" | "none" (or another counter
// plugin's name); the rest of the table is the counter plugin's.
std::optional<PluginRef> read_rollback(const TableReader& top) {
    constexpr std::string_view expected = "\"tpm\", \"secretd\" or \"none\" (a rollback counter plugin's name)";
    const toml::table* table = top.subtable("rollback", "a table [rollback]");
    if (!table) return std::nullopt;
    TableReader reader(*table, top.file(), "rollback");
    auto counter = reader.string("counter", expected);
    if (!counter)
        reader.fail_missing("counter", "counter = \"tpm\", \"secretd\" or \"none\" (see docs/rollback.md)");
    if (!config_detail::is_plugin_name(*counter)) reader.fail_invalid("counter", expected);
    auto items = config_detail::flatten_plugin_table(reader, {"counter"});
    if (*counter == "none") {
        if (!items.empty())
            config_detail::fail_at(items.front().where, "'" + items.front().key + "' in [rollback] with counter = \"none\"",
                                   "no other key in [rollback] when there is no counter",
                                   "remove it, or name a counter");
        return std::nullopt;
    }
    PluginRef ref;
    ref.name = *counter;
    ref.table = "rollback";
    ref.where = reader.where_value("counter");
    ref.items = std::move(items);
    return ref;
}

}  // namespace

VolumeConfig parse_volume_file(const std::string& path, const GlobalConfig& global) {
    toml::table root = config_detail::parse_toml_file(path, "volume file");
    TableReader top(root, path, "");
    // Each part is read even when another is wrong, so that one run names
    // every mistake of the file (a part that needs another is skipped).
    config_detail::ErrorList errors;
    errors.run([&] {
        top.reject_unknown({"volume", "dev", "auto_open", "makefs", "integrity", "timeout", "encrypt", "device",
                            "fs", "mount", "luks", "rollback"});
    });
    VolumeConfig volume;
    volume.file = path;
    bool identity = false, fs = false;
    errors.run([&] {
        read_identity(top, volume);
        identity = true;
    });
    errors.run([&] { volume.key_provider = read_key_provider(top); });
    if (identity) errors.run([&] { volume.device = read_device(top, volume.dev); });
    errors.run([&] {
        volume.fs = read_fs(top);
        fs = true;
    });
    if (fs) errors.run([&] { volume.mount = read_mount(top, volume.fs); });
    errors.run([&] { volume.luks = read_luks(top, read_integrity(top)); });
    errors.run([&] { volume.rollback_counter = read_rollback(top); });
    errors.run([&] {
        volume.timeout = top.node("timeout") ? config_detail::read_timeout(top, "timeout") : global.default_timeout;
    });
    errors.finish();
    return volume;
}

}  // namespace cvfs
