// The YAML names of kube-vip's own configuration struct (`kubevip.Config` and
// its embedded `LeaderElection`, whose fields sit at the top level of the
// file), mapped to the kvip knob each one sets. A config file may use these
// keys beside the env and flag names; each sets the same knob with the same
// precedence (flag > env > file). Names that are also kvip flag names
// (`leaseDuration`, `port`, `interface`, ...) map to the same knob.
//
// kube-vip keys whose value is a structure kvip does not take from a file
// (`bgpConfig`, `bgpPeer`, `loadBalancers`) or a feature kvip does not have
// (`addPeersAsBackends`) are listed with the replacement to use, so the error
// says what to write instead.
#include "net/config/detail.hpp"

namespace kvip::net::config::detail {

const std::vector<file_key>& kube_vip_file_keys() {
  static const std::vector<file_key> keys{
      // modes and features
      {"logging", "vip_loglevel"},
      {"enableARP", "vip_arp"},
      {"enableBGP", "bgp_enable"},
      {"enableWireguard", "vip_wireguard"},
      {"enableRoutingTable", "vip_routingtable"},
      {"enableControlPlane", "cp_enable"},
      {"detectControlPlane", "cp_detect"},
      {"enableServices", "svc_enable"},
      {"enableServicesElection", "svc_election"},
      {"enableNodeLabeling", "enable_node_labeling"},
      {"enableLoadBalancer", "lb_enable"},
      {"enableLeaderElection", "vip_leaderelection"},
      {"enableEndpoints", "enable_endpoints"},
      {"disableServiceUpdates", "disable_service_updates"},
      // addresses and interfaces
      {"vip", "vip_address"},
      {"address", "address"},
      {"vipSubnet", "vip_subnet"},
      {"vipCidr", "vip_cidr"},
      {"port", "port"},
      {"ddns", "vip_ddns"},
      {"interface", "vip_interface"},
      {"servicesInterface", "vip_servicesinterface"},
      {"nodeName", "vip_nodename"},
      {"namespace", "cp_namespace"},
      {"serviceNamespace", "svc_namespace"},
      {"singleNode", "vip_singlenode"},
      {"startAsLeader", "vip_startleader"},
      // leader election (the embedded LeaderElection struct)
      {"leaderElectionType", "leaderElectionType"},
      {"leaseName", "vip_leasename"},
      {"servicesLeaseName", "svc_leasename"},
      {"leaseAnnotations", "vip_leaseannotations"},
      {"leaseDuration", "vip_leaseduration"},
      {"renewDeadline", "vip_renewdeadline"},
      {"retryPeriod", "vip_retryperiod"},
      // ARP, load balancer, services, routing table, telemetry
      {"arpBroadcastRate", "vip_arpRate"},
      {"lbPort", "lb_port"},
      {"lbForwardingMethod", "lb_fwdmethod"},
      {"lbClassOnly", "lb_class_only"},
      {"lbClassName", "lb_class_name"},
      {"lbClassLegacyHandling", "lb_class_legacy_handling"},
      {"routingTableID", "vip_routingtableid"},
      {"routingTableType", "vip_routingtabletype"},
      {"routingProtocol", "vip_routingprotocol"},
      {"cleanRoutingTable", "vip_cleanroutingtable"},
      {"mirrorDestInterface", "mirror_dest_interface"},
      {"healthCheckPort", "health_check_port"},
      {"prometheusHTTPServer", "prometheus_server"},
      // structures and features kvip does not read from a file
      {"bgpConfig", "", "use the bgp_* keys (bgp_routerid, bgp_as, bgp_sourceip, ...)"},
      {"bgpPeer", "", "use bgp_peers (or bgp_peeraddress, bgp_peeras, bgp_peerpass)"},
      {"loadBalancers", "", "use lb_enable, lb_port and lb_fwdmethod"},
      {"addPeersAsBackends", "", "drop it: the raft-era option has no effect in kube-vip either"},
  };
  return keys;
}

} // namespace kvip::net::config::detail
