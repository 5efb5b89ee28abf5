-rw-r--r--
# p2pplan: RouterOS dst-nat for site home-dupont, mode pat.
# Run with /import; it first removes the entries a previous import added.
/ip firewall nat remove [find comment~"^p2pplan:home-dupont:pat:"]
/ip firewall address-list remove [find comment~"^p2pplan:home-dupont:pat:"]
/ip firewall nat add chain=dstnat action=dst-nat dst-address="198.51.100.23/32" protocol="tcp" dst-port="26940" to-addresses="192.168.1.108" to-ports="37777" comment="p2pplan:home-dupont:pat:nvr:main"
