// Rows of the in-process IPAM allocator's knobs (issue 10, "Address pools"):
// where kube-vip-cloud-provider's pool ConfigMap is (its env vars
// KUBEVIP_CONFIG_MAP and KUBEVIP_NAMESPACE are accepted as alternative names)
// and the Lease that elects the one allocator acting in the cluster (in
// cp_namespace).
#include "net/config/detail.hpp"

namespace kvip::net::config::detail {

namespace {

using check_fn = bool (*)(std::string_view);

// A required string passing `check`.
knob_row name_row(std::string env, std::string flag, std::string dflt, std::string help,
                  std::string settings::*m, check_fn check, std::string expected) {
  knob_row r;
  r.info.env = std::move(env);
  r.info.flag = std::move(flag);
  r.info.default_text = std::move(dflt);
  r.info.help = std::move(help);
  r.info.kind = knob_kind::text;
  r.apply = [m, check, expected](settings& s, const std::string& v, error_sink& e) {
    if (v.empty() || !check(v))
      e.fail(expected);
    else
      s.*m = v;
  };
  return r;
}

knob_row with_alt(knob_row r, std::string alt) {
  r.env_alt = std::move(alt);
  return r;
}

knob_row on_off_row(std::string env, std::string flag, bool dflt, std::string help,
                    bool settings::*m) {
  knob_row r;
  r.info.env = std::move(env);
  r.info.flag = std::move(flag);
  r.info.default_text = dflt ? "true" : "false";
  r.info.help = std::move(help);
  r.info.kind = knob_kind::boolean;
  r.apply = [m](settings& s, const std::string& v, error_sink& e) {
    if (auto b = parse_bool(v))
      s.*m = *b;
    else
      e.fail("a boolean: true/false, 1/0, t/f, TRUE/FALSE, True/False");
  };
  return r;
}

} // namespace

std::vector<knob_row> ipam_rows() {
  return {
      on_off_row("kvip_ipam", "ipam", true,
                 "with svc_enable and kvip_gossip: the in-process address allocator (pools of "
                 "kube-vip-cloud-provider's ConfigMap); false when kube-vip-cloud-provider runs",
                 &settings::ipam),
      with_alt(name_row("kvip_ipam_configmap", "ipamConfigMap", "kubevip",
                        "the IPAM pool ConfigMap (kube-vip-cloud-provider's KUBEVIP_CONFIG_MAP)",
                        &settings::ipam_config_map, is_dns_subdomain, "a DNS-1123 subdomain"),
               "KUBEVIP_CONFIG_MAP"),
      with_alt(name_row("kvip_ipam_namespace", "ipamNamespace", "kube-system",
                        "namespace of the IPAM pool ConfigMap (KUBEVIP_NAMESPACE)",
                        &settings::ipam_config_map_namespace, is_dns_label, "a DNS-1123 label"),
               "KUBEVIP_NAMESPACE"),
      name_row("kvip_ipam_leasename", "ipamLeaseName", "kvip-ipam",
               "Lease (in cp_namespace) electing the one IPAM allocator acting in the cluster",
               &settings::ipam_lease_name, is_dns_subdomain, "a DNS-1123 subdomain"),
  };
}

} // namespace kvip::net::config::detail
