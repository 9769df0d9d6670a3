-- MySQL 8.4 init (docker-compose): the reconciler's capture user with the documented privileges, and the write
-- rights the heartbeat table needs; the traffic generator writes as root. Demo passwords: change them for anything
-- but a laptop.
CREATE USER IF NOT EXISTS 'reconciler'@'%' IDENTIFIED BY 'reconciler-demo-password';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'reconciler'@'%';
GRANT CREATE, INSERT, UPDATE ON *.* TO 'reconciler'@'%';
