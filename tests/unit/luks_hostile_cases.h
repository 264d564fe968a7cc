// The hostile-header corpus: from one LUKS2 header (made by cvfs, or by
// libcryptsetup's defaults) it derives every class of damage a host that owns
// the disk can write. Each case is both metadata copies (binary headers and
// JSON areas), usually with valid checksums so that libcryptsetup loads them
// and cvfs' allow-list must object, and the verdict the allow-list gives:
//   Refuse  the header must be refused, with a message naming one of `reasons`
//   Accept  the header must load
//   Either  libcryptsetup or cvfs may refuse it; nothing may crash, and a
//           refusal names the device
#pragma once

#include "luks_hostile_json.h"
#include "luks_tamper.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <tuple>
#include <string>
#include <vector>

namespace hostile {

enum class Expect { Refuse, Accept, Either };

struct Case {
    std::string klass;                 // "field removed", "weak KDF", ...
    std::string name;                  // what exactly was done
    Expect expect = Expect::Either;
    std::vector<std::string> reasons;  // Refuse: the message names one of these
    std::vector<uint8_t> metadata;     // both copies, 2 * metadata size bytes
};

// The header a generator starts from: both copies as read from the device.
struct Base {
    std::string name;  // "cvfs", "cryptsetup"
    uint64_t metadata_size = 0;
    std::vector<uint8_t> metadata;
    Json json;
};

inline Base read_base(const std::string& name, const std::string& device) {
    Base base;
    base.name = name;
    base.metadata_size = luks_test::metadata_size(device);
    base.metadata = luks_test::read_bytes(device, 0, 2 * base.metadata_size);
    base.json = parse_json(luks_test::read_metadata_json(device));
    return base;
}

// Puts `json` into both copies of `base`, with fresh checksums.
inline std::vector<uint8_t> with_json(const Base& base, const std::string& json) {
    const uint64_t size = base.metadata_size;
    if (json.size() >= size - luks_test::kBinaryHeaderSize) return {};
    std::vector<uint8_t> bytes = base.metadata;
    for (uint64_t at : {uint64_t{0}, size}) {
        std::vector<uint8_t> copy(bytes.begin() + static_cast<long>(at), bytes.begin() + static_cast<long>(at + size));
        std::fill(copy.begin() + luks_test::kBinaryHeaderSize, copy.end(), 0);
        std::copy(json.begin(), json.end(), copy.begin() + luks_test::kBinaryHeaderSize);
        luks_test::sha256_into(copy);
        std::copy(copy.begin(), copy.end(), bytes.begin() + static_cast<long>(at));
    }
    return bytes;
}

class Generator {
public:
    explicit Generator(const Base& base) : base_(base) {}

    // A case whose JSON is the base's after `edit`. Cases whose JSON no longer
    // fits the area are left out (the area size is a case class of its own).
    void json_case(const std::string& klass, const std::string& name, Expect expect,
                   std::vector<std::string> reasons, const std::function<void(Json&)>& edit) {
        Json json = base_.json;
        edit(json);
        std::vector<uint8_t> bytes = with_json(base_, dump(json));
        if (bytes.empty()) return;
        cases_.push_back({klass, base_.name + ": " + name, expect, std::move(reasons), std::move(bytes)});
    }

    void bytes_case(const std::string& klass, const std::string& name, Expect expect,
                    std::vector<std::string> reasons, std::vector<uint8_t> bytes) {
        cases_.push_back({klass, base_.name + ": " + name, expect, std::move(reasons), std::move(bytes)});
    }

    const Base& base() const { return base_; }
    std::vector<Case>& cases() { return cases_; }

private:
    const Base& base_;
    std::vector<Case> cases_;
};

// What the allow-list says about a field of the metadata losing its value:
// everything that places or protects data is required; names, priorities,
// flags and the tokens' bookkeeping are not for the allow-list to judge.
inline Expect required_field_verdict(const Path& path) {
    const std::string& top = path.front();
    if (top == "tokens") return Expect::Either;
    if (top == "config") return path.size() >= 2 && (path[1] == "flags" || path[1] == "requirements")
                                    ? Expect::Either : Expect::Refuse;
    const std::string& leaf = path.back();
    if (leaf == "priority" || leaf == "flags" || leaf == "salt" || leaf == "digest" || leaf == "checksum")
        return Expect::Either;
    return Expect::Refuse;
}

inline bool is_numeric_text(const std::string& text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

// Each field removed, retyped and pushed out of range.
inline void field_cases(Generator& g) {
    std::vector<Path> paths;
    Path prefix;
    all_paths(g.base().json, prefix, paths);
    for (const Path& path : paths) {
        const std::string where = path_text(path);
        const Expect removed = required_field_verdict(path);
        g.json_case("field removed", where + " removed", removed, {}, [&](Json& j) { remove_path(j, path); });
        Json original = at_path(const_cast<Json&>(g.base().json), path);
        const bool scalar = original.type == Json::Type::String || original.type == Json::Type::Number;
        const Expect retyped = removed == Expect::Refuse && scalar ? Expect::Refuse : Expect::Either;
        g.json_case("field retyped", where + " as an object", retyped, {}, [&](Json& j) { at_path(j, path) = Json::object(); });
        if (original.type == Json::Type::String) {
            g.json_case("field retyped", where + " as a number", retyped, {},
                        [&](Json& j) { at_path(j, path) = Json::number(is_numeric_text(original.scalar) ? original.scalar : "0"); });
        } else if (original.type == Json::Type::Number) {
            g.json_case("field retyped", where + " as a string", Expect::Either, {},
                        [&](Json& j) { at_path(j, path) = Json::string(original.scalar); });
        }
        if (!scalar || !is_numeric_text(original.scalar)) continue;
        for (const char* value : {"0", "18446744073709551615", "99999999999999999999999", "-1"}) {
            g.json_case("out of range", where + " = " + value, Expect::Either, {}, [&](Json& j) {
                Json& node = at_path(j, path);
                node.scalar = value;
            });
        }
    }
}

// A field given twice: libcryptsetup (json-c) keeps the last value, other JSON
// readers the first, so the second copy is what the kernel would get.
inline void duplicate_cases(Generator& g) {
    struct Dup { Path path; Json value; std::vector<std::string> reasons; };
    const std::vector<Dup> dups = {
        {{"segments", "0", "encryption"}, Json::string("cipher_null-ecb"), {"cipher", "encryption"}},
        {{"segments", "0", "offset"}, Json::string("4096"), {"offset", "segment"}},
        {{"keyslots", "0", "area", "encryption"}, Json::string("cipher_null-ecb"), {"cipher", "encryption", "keyslot"}},
        {{"keyslots", "0", "af", "stripes"}, Json::number("1"), {"stripes", "anti-forensic"}},
        {{"keyslots", "0", "area", "offset"}, Json::string("0"), {"offset", "keyslot", "area"}},
    };
    for (const Dup& d : dups)
        g.json_case("duplicated", path_text(d.path) + " twice, the second " + dump(d.value), Expect::Refuse, d.reasons,
                    [&](Json& j) { duplicate_member(j, d.path, d.value); });
}

// Checksums broken in one or both copies, and copies that disagree.
inline void copy_cases(Generator& g) {
    const Base& b = g.base();
    auto broken = [&](bool primary, bool secondary) {
        std::vector<uint8_t> bytes = b.metadata;
        if (primary) bytes[luks_test::kChecksumOffset] ^= 0xff;
        if (secondary) bytes[b.metadata_size + luks_test::kChecksumOffset] ^= 0xff;
        return bytes;
    };
    g.bytes_case("checksum", "primary checksum broken", Expect::Accept, {}, broken(true, false));
    g.bytes_case("checksum", "secondary checksum broken", Expect::Accept, {}, broken(false, true));
    g.bytes_case("checksum", "both checksums broken", Expect::Refuse, {"LUKS", "header"}, broken(true, true));

    // The secondary copy says cipher_null and claims to be newer.
    Json hostile = b.json;
    at_path(hostile, {"segments", "0", "encryption"}) = Json::string("cipher_null-ecb");
    std::vector<uint8_t> other = with_json(b, dump(hostile));
    for (bool newer : {true, false}) {
        std::vector<uint8_t> bytes = b.metadata;
        std::vector<uint8_t> second(other.begin() + static_cast<long>(b.metadata_size), other.end());
        if (newer) second[23] = static_cast<uint8_t>(second[23] + 1);  // seqid, big-endian at 16
        luks_test::sha256_into(second);
        std::copy(second.begin(), second.end(), bytes.begin() + static_cast<long>(b.metadata_size));
        g.bytes_case("copies disagree", newer ? "newer secondary copy with cipher_null" : "same seqid, secondary with cipher_null",
                     newer ? Expect::Refuse : Expect::Either, {"cipher", "encryption", "copies"}, bytes);
    }
    // The primary copy with its checksum broken, the secondary hostile: the fallback.
    std::vector<uint8_t> bytes = other;
    bytes[luks_test::kChecksumOffset] ^= 0xff;
    g.bytes_case("copies disagree", "primary broken, secondary with cipher_null", Expect::Refuse,
                 {"cipher", "encryption"}, bytes);
}

inline std::string text_of(const Json& j) { return j.scalar; }

// Segments and keyslot areas placed where they must not be.
inline void layout_cases(Generator& g) {
    const Json& j = g.base().json;
    const std::string keyslot_area = text_of(const_cast<Json&>(j).at("keyslots").members.front().second.at("area").at("offset"));
    const std::string data_offset = text_of(const_cast<Json&>(j).at("segments").at("0").at("offset"));
    auto seg = [&](const std::string& name, const std::string& offset) {
        g.json_case("layout", "segment " + name, Expect::Refuse, {"segment", "offset", "data"},
                    [&](Json& x) { at_path(x, {"segments", "0", "offset"}) = Json::string(offset); });
    };
    seg("inside the binary header", "0");
    seg("inside the metadata", "4096");
    seg("over the keyslot area", keyslot_area);
    g.json_case("layout", "segment outside the device", Expect::Either, {},
                [&](Json& x) { at_path(x, {"segments", "0", "offset"}) = Json::string("1099511627776000"); });
    auto area = [&](const std::string& name, const std::string& offset, const std::string& size) {
        g.json_case("layout", "keyslot area " + name, Expect::Refuse, {"keyslot", "area", "offset"}, [&](Json& x) {
            Json& a = x.at("keyslots").members.front().second.at("area");
            a.at("offset") = Json::string(offset);
            if (!size.empty()) a.at("size") = Json::string(size);
        });
    };
    area("inside the header", "0", "");
    area("over the data segment", data_offset, "");
    area("outside the device", "1099511627776000", "");
    area("larger than the keyslots area", keyslot_area, "1099511627776");
    // The allow-list does not know the device's size: a segment beyond its
    // end fails at activation (device-mapper checks the table), not here.
    g.json_case("layout", "segment size larger than the device", Expect::Either, {}, [&](Json& x) {
        at_path(x, {"segments", "0", "size"}) = Json::string("1099511627776000");
    });
    g.json_case("layout", "a second segment over the first", Expect::Refuse, {"segment"}, [&](Json& x) {
        Json copy = x.at("segments").at("0");
        x.at("segments").members.push_back({"1", copy});
    });
    g.json_case("layout", "keyslots_size beyond the data offset", Expect::Refuse, {"keyslot", "offset", "size"},
                [&](Json& x) { at_path(x, {"config", "keyslots_size"}) = Json::string("1099511627776"); });
}

// cipher_null and capi: forms, in the data segment and in the keyslot area
// (a keyslot area in the clear holds an attacker's known key, AF-split:
// CVE-2025-59054).
inline void cipher_cases(Generator& g) {
    for (const char* cipher : {"cipher_null-ecb", "cipher_null", "capi:ecb(cipher_null)", "capi:xts(aes)-plain64",
                               "aes-ecb", "aes-cbc-plain", "des-xts-plain64"}) {
        g.json_case("cipher", std::string("segment ") + cipher, Expect::Refuse, {"cipher", "encryption"},
                    [&](Json& x) { at_path(x, {"segments", "0", "encryption"}) = Json::string(cipher); });
        g.json_case("cipher", std::string("keyslot area ") + cipher, Expect::Refuse, {"cipher", "encryption", "keyslot"},
                    [&](Json& x) { x.at("keyslots").members.front().second.at("area").at("encryption") = Json::string(cipher); });
    }
    g.json_case("cipher", "an extra keyslot in the clear (known key, CVE-2025-59054)", Expect::Refuse,
                {"cipher", "encryption", "keyslot"}, [&](Json& x) {
                    Json slot = x.at("keyslots").members.front().second;
                    slot.at("area").at("encryption") = Json::string("cipher_null-ecb");
                    x.at("keyslots").members.push_back({"7", slot});
                });
}

// KDF and anti-forensic parameters that make a key cheap to guess or absurd to derive.
inline void kdf_cases(Generator& g) {
    auto kdf = [&](const std::string& name, Expect expect, const std::function<void(Json&)>& edit) {
        g.json_case("weak KDF or AF", name, expect, {"kdf", "KDF", "pbkdf2", "argon2", "iterations", "memory", "stripes",
                                                      "hash", "anti-forensic", "time", "parallel", "cpus", "area key", "af "},
                    [&](Json& x) { edit(x.at("keyslots").members.front().second); });
    };
    auto to_pbkdf2 = [](Json& slot, const std::string& hash, const std::string& iterations) {
        Json& k = slot.at("kdf");
        Json salt = k.at("salt");
        k = Json::object();
        k.members = {{"type", Json::string("pbkdf2")}, {"hash", Json::string(hash)},
                     {"iterations", Json::number(iterations)}, {"salt", salt}};
    };
    kdf("pbkdf2 with 1 iteration", Expect::Refuse, [&](Json& s) { to_pbkdf2(s, "sha256", "1"); });
    kdf("pbkdf2 with 999 iterations", Expect::Refuse, [&](Json& s) { to_pbkdf2(s, "sha256", "999"); });
    kdf("pbkdf2 with md5", Expect::Refuse, [&](Json& s) { to_pbkdf2(s, "md5", "100000"); });
    kdf("pbkdf2 with 4 billion iterations", Expect::Refuse, [&](Json& s) { to_pbkdf2(s, "sha256", "4294967295"); });
    kdf("an unknown KDF", Expect::Refuse, [&](Json& s) { s.at("kdf").at("type") = Json::string("scrypt"); });
    kdf("af stripes 1", Expect::Refuse, [&](Json& s) { s.at("af").at("stripes") = Json::number("1"); });
    kdf("af hash md5", Expect::Refuse, [&](Json& s) { s.at("af").at("hash") = Json::string("md5"); });
    kdf("af type other than luks1", Expect::Refuse, [&](Json& s) { s.at("af").at("type") = Json::string("none"); });
    kdf("a 64-bit keyslot area key", Expect::Refuse, [&](Json& s) { s.at("area").at("key_size") = Json::number("8"); });
    g.json_case("weak KDF or AF", "digest with 1 iteration", Expect::Refuse, {"digest", "iterations"},
                [&](Json& x) { x.at("digests").members.front().second.at("iterations") = Json::number("1"); });
    g.json_case("weak KDF or AF", "digest with md5", Expect::Refuse, {"digest", "hash", "md5"},
                [&](Json& x) { x.at("digests").members.front().second.at("hash") = Json::string("md5"); });
    auto argon = [&](const std::string& name, const std::string& key, const std::string& value) {
        kdf(name, Expect::Refuse, [&](Json& s) {
            Json& k = s.at("kdf");
            if (k.at("type").scalar == "pbkdf2") {
                Json salt = k.at("salt");
                k.members = {{"type", Json::string("argon2id")}, {"time", Json::number("4")},
                             {"memory", Json::number("1048576")}, {"cpus", Json::number("4")}, {"salt", salt}};
            }
            k.at(key) = Json::number(value);
        });
    };
    argon("argon2id time 1", "time", "1");
    argon("argon2id 8 KiB of memory", "memory", "8");
    argon("argon2id 64 GiB of memory", "memory", "67108864");
    argon("argon2id 1000 threads", "cpus", "1000");
}

// Tokens: foreign ones, a second cvfs token, cvfs token fields flipped.
inline void token_cases(Generator& g) {
    const std::string ks = g.base().json.members.front().second.members.front().first;
    auto token = [&](const std::string& id, const std::string& state, const std::string& volume,
                     const std::string& provider) {
        Json t = Json::object();
        Json slots;
        slots.type = Json::Type::Array;
        slots.items.push_back(Json::string(ks));
        t.members = {{"type", Json::string("cvfs")}, {"keyslots", slots}, {"state", Json::string(state)},
                     {"volume", Json::string(volume)}, {"provider", Json::string(provider)},
                     {"provider_data", Json::object()}};
        return JsonMember{id, t};
    };
    auto foreign = [&](const std::string& type) {
        Json t = Json::object();
        Json slots;
        slots.type = Json::Type::Array;
        slots.items.push_back(Json::string(ks));
        t.members = {{"type", Json::string(type)}, {"keyslots", slots}, {"tpm2-pcrs", Json::string("7")}};
        return t;
    };
    g.json_case("tokens", "a foreign systemd-tpm2 token", Expect::Accept, {},
                [&](Json& x) { x.at("tokens").members.push_back({"5", foreign("systemd-tpm2")}); });
    g.json_case("tokens", "30 foreign tokens", Expect::Accept, {}, [&](Json& x) {
        for (int i = 2; i < 32; ++i) x.at("tokens").members.push_back({std::to_string(i), foreign("vendor-x")});
    });
    g.json_case("tokens", "a second cvfs token", Expect::Refuse, {"token", "cvfs"}, [&](Json& x) {
        x.at("tokens").members.push_back(token("6", "ready", "other", "otp"));
        x.at("tokens").members.push_back(token("7", "ready", "another", "otp"));
    });
    struct Flip { std::string what, state, volume, provider; Expect expect; };
    for (const Flip& f : std::vector<Flip>{
             {"state ready", "ready", "v", "otp", Expect::Accept},
             {"state initializing", "initializing", "v", "otp", Expect::Accept},
             {"state unknown", "opened", "v", "otp", Expect::Refuse},
             {"volume renamed", "ready", "someone-else", "otp", Expect::Accept},
             {"volume empty", "ready", "", "otp", Expect::Refuse},
             {"provider switched", "ready", "v", "keyfile", Expect::Accept},
             {"provider empty", "ready", "v", "", Expect::Refuse}}) {
        g.json_case("tokens", "cvfs token " + f.what, f.expect, {"token", "state", "volume", "provider"}, [&](Json& x) {
            Json& tokens = x.at("tokens");
            tokens.members.erase(std::remove_if(tokens.members.begin(), tokens.members.end(),
                                                [](const auto& m) { return m.second.get("type") &&
                                                                           m.second.get("type")->scalar == "cvfs"; }),
                                 tokens.members.end());
            tokens.members.push_back(token("0", f.state, f.volume, f.provider));
        });
    }
}

// Nesting as deep as the area allows, in a token (metadata nobody checks the
// shape of) and in a keyslot.
inline void nesting_cases(Generator& g) {
    const size_t room = g.base().metadata_size - luks_test::kBinaryHeaderSize - dump(g.base().json).size() - 64;
    for (size_t depth : {size_t{64}, size_t{1000}, room / 2}) {
        Json deep;
        for (size_t i = 0; i < depth; ++i) {
            Json outer;
            outer.type = Json::Type::Array;
            outer.items.push_back(std::move(deep));
            deep = std::move(outer);
        }
        g.json_case("deep nesting", "a token " + std::to_string(depth) + " arrays deep", Expect::Either, {},
                    [&](Json& x) {
                        Json t = Json::object();
                        Json slots;
                        slots.type = Json::Type::Array;
                        t.members = {{"type", Json::string("vendor-deep")}, {"keyslots", slots}, {"data", deep}};
                        x.at("tokens").members.push_back({"9", t});
                    });
    }
}

inline std::vector<Case> all_cases(const Base& base) {
    Generator g(base);
    field_cases(g);
    duplicate_cases(g);
    copy_cases(g);
    layout_cases(g);
    cipher_cases(g);
    kdf_cases(g);
    token_cases(g);
    nesting_cases(g);
    return std::move(g.cases());
}

}  // namespace hostile
