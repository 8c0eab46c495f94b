# Run inside the broker image's root file system by mmdebstrap (deploy/image/build): the user and the
# data volume. Argument: the user id of the broker.
set -eu
uid="$1"
echo "kafka:x:$uid:$uid:Kafka broker:/var/lib/kafka:/usr/sbin/nologin" >>/etc/passwd
echo "kafka:x:$uid:" >>/etc/group
echo "kafka:!:19000::::::" >>/etc/shadow
install -d -o "$uid" -g "$uid" -m 0750 /var/lib/kafka
rm -rf /tmp/build
