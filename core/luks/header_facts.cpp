// Reading HeaderFacts from LUKS2 JSON (nlohmann-json, through base/json.h) and from libcryptsetup getters.
#include "luks/header_facts.h"

#include "base/error.h"
#include "base/json.h"
#include "luks/crypt_handle.h"
#include "luks/json_depth.h"

#include <libcryptsetup.h>

namespace cvfs {

namespace {

// Document order, as libcryptsetup wrote it; a repeated key keeps its last
// value, as json-c (and so libcryptsetup and the kernel's table) does.
using Json = nlohmann::ordered_json;

[[noreturn]] void refuse(const std::string& device, const std::string& what) {
    throw Error(ErrorKind::Header, "the LUKS2 metadata of " + device + " cannot be read: " + what,
                "the header may have been damaged or tampered with");
}

// The value at the dotted `path`, or nullptr when a step is missing or not an object.
const Json* at(const Json& tree, const std::string& path) {
    const Json* node = &tree;
    size_t begin = 0;
    while (begin <= path.size()) {
        size_t end = path.find('.', begin);
        if (end == std::string::npos) end = path.size();
        if (!node->is_object()) return nullptr;
        auto found = node->find(path.substr(begin, end - begin));
        if (found == node->end()) return nullptr;
        node = &*found;
        begin = end + 1;
    }
    return node;
}

// A string, or a number or boolean as written; "" when missing or a container.
std::string text(const Json& tree, const std::string& path) {
    const Json* v = at(tree, path);
    if (!v || v->is_null() || v->is_structured()) return "";
    return v->is_string() ? v->get<std::string>() : v->dump();
}

// JSON numbers and LUKS2's "string numbers" alike; 0 when missing.
uint64_t number(const Json& tree, const std::string& path) {
    const Json* v = at(tree, path);
    if (!v) return 0;
    if (v->is_number_unsigned()) return v->get<uint64_t>();
    std::string t = text(tree, path);
    try {
        size_t used = 0;
        uint64_t value = std::stoull(t, &used);
        if (used == t.size() && t.find('-') == std::string::npos) return value;
    } catch (const std::exception&) {
    }
    refuse("the header", "\"" + path + "\" is \"" + t + "\", not a number");
}

uint32_t number32(const Json& tree, const std::string& path) {
    uint64_t value = number(tree, path);
    return value > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(value);
}

// The members (or items) at `path`, empty when missing.
const Json& child(const Json& tree, const std::string& path) {
    static const Json empty = Json::object();
    const Json* v = at(tree, path);
    return v && v->is_structured() ? *v : empty;
}

// The object's members as (key, value), or an array's items with empty keys.
template <class F>
void each(const Json& node, F&& f) {
    if (node.is_object())
        for (const auto& [key, value] : node.items()) f(key, value);
    else if (node.is_array())
        for (const auto& value : node) f(std::string(), value);
}

SegmentFacts segment_from(const std::string& id, const Json& tree) {
    SegmentFacts s;
    s.id = id;
    s.type = text(tree, "type");
    s.offset = number(tree, "offset");
    s.size = text(tree, "size");
    s.encryption = text(tree, "encryption");
    s.sector_size = number32(tree, "sector_size");
    s.integrity = text(tree, "integrity.type");
    return s;
}

KeyslotFacts keyslot_from(const std::string& id, const Json& tree) {
    KeyslotFacts k;
    k.id = id;
    k.type = text(tree, "type");
    k.key_bits = number32(tree, "key_size") * 8;
    k.area_offset = number(tree, "area.offset");
    k.area_size = number(tree, "area.size");
    k.area_type = text(tree, "area.type");
    k.area_encryption = text(tree, "area.encryption");
    k.area_key_bits = number32(tree, "area.key_size") * 8;
    k.af_type = text(tree, "af.type");
    k.af_stripes = number32(tree, "af.stripes");
    k.af_hash = text(tree, "af.hash");
    k.kdf = text(tree, "kdf.type");
    k.kdf_hash = text(tree, "kdf.hash");
    bool pbkdf2 = k.kdf == "pbkdf2";
    k.iterations = number32(tree, pbkdf2 ? "kdf.iterations" : "kdf.time");
    k.memory_kb = pbkdf2 ? 0 : number32(tree, "kdf.memory");
    k.parallel = pbkdf2 ? 0 : number32(tree, "kdf.cpus");
    return k;
}

DigestFacts digest_from(const std::string& id, const Json& tree) {
    return {id, text(tree, "type"), text(tree, "hash"), number32(tree, "iterations")};
}

// A scalar as text (a keyslot id is written as a string, but may be a number).
std::string scalar_text(const Json& v) {
    if (v.is_string()) return v.get<std::string>();
    return v.is_structured() || v.is_null() ? std::string() : v.dump();
}

// The keyslot size of the first keyslot the first digest names: the volume key.
uint32_t volume_key_bits_of(const Json& root, const std::vector<KeyslotFacts>& keyslots) {
    uint32_t bits = 0;
    bool found = false;
    each(child(root, "digests"), [&](const std::string&, const Json& digest) {
        each(child(digest, "keyslots"), [&](const std::string&, const Json& entry) {
            for (const auto& k : keyslots)
                if (!found && k.id == scalar_text(entry)) {
                    bits = k.key_bits;
                    found = true;
                }
        });
    });
    return bits;
}

Json parse(const std::string& json) {
    JsonLimits limits;
    limits.max_bytes = 4 << 20;  // the largest LUKS2 metadata area
    limits.max_depth = kMaxHeaderJsonDepth;
    try {
        return parse_json<Json>(json, "its JSON", limits);
    } catch (const JsonError& e) {
        refuse("the header", e.what());
    }
}

}  // namespace

HeaderFacts header_facts_from_json(const std::string& json) {
    Json root = parse(json);
    HeaderFacts f;
    f.metadata_size = number(root, "config.json_size") + 4096;
    f.keyslots_size = number(root, "config.keyslots_size");
    each(child(root, "segments"), [&](const std::string& id, const Json& t) { f.segments.push_back(segment_from(id, t)); });
    each(child(root, "keyslots"), [&](const std::string& id, const Json& t) { f.keyslots.push_back(keyslot_from(id, t)); });
    each(child(root, "digests"), [&](const std::string& id, const Json& t) { f.digests.push_back(digest_from(id, t)); });
    each(child(root, "tokens"), [&](const std::string& id, const Json& t) { f.tokens.push_back({id, text(t, "type")}); });
    each(child(root, "config.requirements.mandatory"),
         [&](const std::string&, const Json& t) { f.mandatory_requirements.push_back(scalar_text(t)); });
    if (!f.segments.empty()) {
        const SegmentFacts& first = f.segments.front();
        f.cipher = first.encryption;
        f.sector_size = first.sector_size;
        f.integrity = first.integrity;
        f.data_offset = first.offset;
    }
    f.volume_key_bits = volume_key_bits_of(root, f.keyslots);
    return f;
}

namespace {

void read_keyslot_getters(crypt_device* cd, KeyslotFacts& k) {
    int slot = std::stoi(k.id);
    uint64_t offset = 0, length = 0;
    if (crypt_keyslot_area(cd, slot, &offset, &length) == 0) {
        k.area_offset = offset;
        k.area_size = length;
    }
    size_t key_size = 0;
    if (const char* enc = crypt_keyslot_get_encryption(cd, slot, &key_size)) {
        k.area_encryption = enc;
        k.area_key_bits = static_cast<uint32_t>(key_size * 8);
    }
    crypt_pbkdf_type pbkdf{};
    if (crypt_keyslot_get_pbkdf(cd, slot, &pbkdf) == 0 && pbkdf.type) {
        k.kdf = pbkdf.type;
        k.kdf_hash = pbkdf.hash ? pbkdf.hash : "";
        k.iterations = pbkdf.iterations;
        k.memory_kb = pbkdf.max_memory_kb;
        k.parallel = pbkdf.parallel_threads;
    }
}

}  // namespace

HeaderFacts read_header_facts(crypt_device* cd, const std::string& device) {
    CryptLock lock;
    const char* json = nullptr;
    if (crypt_dump_json(cd, &json, 0) < 0 || !json) refuse(device, "crypt_dump_json failed");
    HeaderFacts f = header_facts_from_json(json);
    const char* type = crypt_get_type(cd);
    f.format = type ? type : "";
    const char* subsystem = crypt_get_subsystem(cd);
    f.subsystem = subsystem ? subsystem : "";
    crypt_get_metadata_size(cd, &f.metadata_size, &f.keyslots_size);
    const char* cipher = crypt_get_cipher(cd);
    const char* mode = crypt_get_cipher_mode(cd);
    f.cipher = std::string(cipher ? cipher : "") + (mode && *mode ? std::string("-") + mode : "");
    int key_size = crypt_get_volume_key_size(cd);
    f.volume_key_bits = key_size > 0 ? static_cast<uint32_t>(key_size) * 8 : 0;
    f.sector_size = static_cast<uint32_t>(crypt_get_sector_size(cd));
    crypt_params_integrity integrity{};
    if (crypt_get_integrity_info(cd, &integrity) == 0)
        f.integrity = integrity.integrity ? integrity.integrity : "";
    f.data_offset = crypt_get_data_offset(cd) * 512;
    for (auto& k : f.keyslots) read_keyslot_getters(cd, k);
    return f;
}

}  // namespace cvfs
