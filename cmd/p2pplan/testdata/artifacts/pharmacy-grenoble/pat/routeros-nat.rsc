-rw-r--r--
# p2pplan: RouterOS dst-nat for site pharmacy-grenoble, mode pat.
# Run with /import; it first removes the entries a previous import added.
/ip firewall nat remove [find comment~"^p2pplan:pharmacy-grenoble:pat:"]
/ip firewall address-list remove [find comment~"^p2pplan:pharmacy-grenoble:pat:"]
/ip firewall address-list add list="p2pplan-pharmacy-grenoble-pat" address="203.0.113.0/28" comment="p2pplan:pharmacy-grenoble:pat:sources"
/ip firewall nat add chain=dstnat action=dst-nat dst-address="198.51.100.153/32" protocol="tcp" dst-port="56057" src-address-list="p2pplan-pharmacy-grenoble-pat" to-addresses="192.168.1.108" to-ports="37777" comment="p2pplan:pharmacy-grenoble:pat:nvr:main"
