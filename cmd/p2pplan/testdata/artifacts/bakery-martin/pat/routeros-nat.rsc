-rw-r--r--
# p2pplan: RouterOS dst-nat for site bakery-martin, mode pat.
# Run with /import; it first removes the entries a previous import added.
/ip firewall nat remove [find comment~"^p2pplan:bakery-martin:pat:"]
/ip firewall address-list remove [find comment~"^p2pplan:bakery-martin:pat:"]
/ip firewall address-list add list="p2pplan-bakery-martin-pat" address="203.0.113.0/24" comment="p2pplan:bakery-martin:pat:sources"
/ip firewall nat add chain=dstnat action=dst-nat dst-address="198.51.100.40/32" protocol="tcp" dst-port="53811" src-address-list="p2pplan-bakery-martin-pat" to-addresses="192.168.0.20" to-ports="37777" comment="p2pplan:bakery-martin:pat:nvr:main"
/ip firewall nat add chain=dstnat action=dst-nat dst-address="198.51.100.40/32" protocol="tcp" dst-port="32063" src-address-list="p2pplan-bakery-martin-pat" to-addresses="192.168.0.20" to-ports="554" comment="p2pplan:bakery-martin:pat:nvr:rtsp"
