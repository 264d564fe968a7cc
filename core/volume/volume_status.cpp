// Engine::details: what `cvfs status VOL` shows beyond `show`: the header's
// parameters, its keyslots and tokens with what each is for, whether it
// passes the allow-list, and the mapping. Reads only; attaches nothing.
#include "base/error.h"
#include "luks/luks_volume.h"
#include "volume/engine.h"
#include "volume/engine_parts.h"

namespace cvfs {

VolumeDetails Engine::details(const VolumeConfig& volume) {
    VolumeDetails details;
    Parts parts = resolve(volume);
    PluginCall call(volume, volume.device, parts.deadline, nullptr, options_.cancel);
    DeviceProbe probe = parts.device.probe(call, volume.dev);
    if (find_mapping(volume.name)) details.mapper = mapper_path(volume);
    if (!probe.present) return details;
    details.header_path = probe.header_path.empty() ? probe.node : probe.header_path;
    if (details.header_path.empty() || !has_luks_header(details.header_path)) return details;
    try {
        details.header = read_header_summary(details.header_path);
    } catch (const Error& e) {
        details.header_error = e.what();
        return details;
    }
    try {
        CheckedHeader checked = CheckedHeader::load(details.header_path, volume.luks);
        if (auto token = checked.token()) {
            details.token_provider = token->provider;
            details.token_volume = token->volume;
            details.token_state = to_string(token->state);
        }
    } catch (const Error& e) {
        details.allow_list = e.what();
    }
    return details;
}

}  // namespace cvfs
