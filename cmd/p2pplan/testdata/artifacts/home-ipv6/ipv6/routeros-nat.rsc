-rw-r--r--
# p2pplan: RouterOS dst-nat for site home-ipv6, mode ipv6.
# Run with /import; it first removes the entries a previous import added.
# IPv6 NAT needs RouterOS 7.1 or later.
/ipv6 firewall nat remove [find comment~"^p2pplan:home-ipv6:ipv6:"]
/ipv6 firewall address-list remove [find comment~"^p2pplan:home-ipv6:ipv6:"]
/ipv6 firewall address-list add list="p2pplan-home-ipv6-ipv6" address="2001:db8:ff00::/40" comment="p2pplan:home-ipv6:ipv6:sources"
/ipv6 firewall nat add chain=dstnat action=dst-nat dst-address="2001:db8:20::50/128" protocol="tcp" dst-port="56991" src-address-list="p2pplan-home-ipv6-ipv6" to-address="2001:db8:20::50/128" to-ports="37777" comment="p2pplan:home-ipv6:ipv6:nvr:main"
