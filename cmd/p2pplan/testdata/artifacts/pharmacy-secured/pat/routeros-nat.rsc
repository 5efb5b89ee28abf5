-rw-r--r--
# p2pplan: RouterOS dst-nat for site pharmacy-secured, mode pat.
# Run with /import; it first removes the entries a previous import added.
/ip firewall nat remove [find comment~"^p2pplan:pharmacy-secured:pat:"]
/ip firewall address-list remove [find comment~"^p2pplan:pharmacy-secured:pat:"]
/ip firewall address-list add list="p2pplan-pharmacy-secured-pat" address="10.99.0.0/24" comment="p2pplan:pharmacy-secured:pat:sources"
/ip firewall nat add chain=dstnat action=dst-nat dst-address="203.0.113.10/32" protocol="tcp" dst-port="56141" src-address-list="p2pplan-pharmacy-secured-pat" to-addresses="10.20.0.50" to-ports="37777" comment="p2pplan:pharmacy-secured:pat:nvr:main"
/ip firewall nat add chain=dstnat action=dst-nat dst-address="203.0.113.10/32" protocol="tcp" dst-port="50277" src-address-list="p2pplan-pharmacy-secured-pat" to-addresses="10.20.0.50" to-ports="554" comment="p2pplan:pharmacy-secured:pat:nvr:rtsp"
