-rw-r--r--
# p2pplan: RouterOS dst-nat for site pharmacy-chambery, mode pat.
# Run with /import; it first removes the entries a previous import added.
/ip firewall nat remove [find comment~"^p2pplan:pharmacy-chambery:pat:"]
/ip firewall address-list remove [find comment~"^p2pplan:pharmacy-chambery:pat:"]
/ip firewall address-list add list="p2pplan-pharmacy-chambery-pat" address="203.0.113.0/28" comment="p2pplan:pharmacy-chambery:pat:sources"
/ip firewall nat add chain=dstnat action=dst-nat dst-address="198.51.100.152/32" protocol="tcp" dst-port="48201" src-address-list="p2pplan-pharmacy-chambery-pat" to-addresses="192.168.1.108" to-ports="37777" comment="p2pplan:pharmacy-chambery:pat:nvr:main"
