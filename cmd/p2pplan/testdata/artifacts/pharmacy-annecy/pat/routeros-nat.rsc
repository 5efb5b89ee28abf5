-rw-r--r--
# p2pplan: RouterOS dst-nat for site pharmacy-annecy, mode pat.
# Run with /import; it first removes the entries a previous import added.
/ip firewall nat remove [find comment~"^p2pplan:pharmacy-annecy:pat:"]
/ip firewall address-list remove [find comment~"^p2pplan:pharmacy-annecy:pat:"]
/ip firewall address-list add list="p2pplan-pharmacy-annecy-pat" address="203.0.113.0/28" comment="p2pplan:pharmacy-annecy:pat:sources"
/ip firewall nat add chain=dstnat action=dst-nat dst-address="198.51.100.151/32" protocol="tcp" dst-port="46358" src-address-list="p2pplan-pharmacy-annecy-pat" to-addresses="192.168.1.108" to-ports="37777" comment="p2pplan:pharmacy-annecy:pat:nvr:main"
