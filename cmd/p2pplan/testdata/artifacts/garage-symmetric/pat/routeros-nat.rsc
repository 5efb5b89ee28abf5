-rw-r--r--
# p2pplan: RouterOS dst-nat for site garage-symmetric, mode pat.
# Run with /import; it first removes the entries a previous import added.
/ip firewall nat remove [find comment~"^p2pplan:garage-symmetric:pat:"]
/ip firewall address-list remove [find comment~"^p2pplan:garage-symmetric:pat:"]
/ip firewall nat add chain=dstnat action=dst-nat dst-address="203.0.113.88/32" protocol="tcp" dst-port="24258" to-addresses="192.168.1.64" to-ports="8000" comment="p2pplan:garage-symmetric:pat:nvr:main"
