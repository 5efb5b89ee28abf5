-rw-r--r--
# p2pplan: RouterOS dst-nat for site office-shared-ipv4, mode pat.
# Run with /import; it first removes the entries a previous import added.
/ip firewall nat remove [find comment~"^p2pplan:office-shared-ipv4:pat:"]
/ip firewall address-list remove [find comment~"^p2pplan:office-shared-ipv4:pat:"]
/ip firewall nat add chain=dstnat action=dst-nat dst-address="198.51.100.77/32" protocol="tcp" dst-port="24222" to-addresses="192.168.1.30" to-ports="37777" comment="p2pplan:office-shared-ipv4:pat:nvr:main"
/ip firewall nat add chain=dstnat action=dst-nat dst-address="198.51.100.77/32" protocol="tcp" dst-port="22916" to-addresses="192.168.1.30" to-ports="554" comment="p2pplan:office-shared-ipv4:pat:nvr:rtsp"
