-- MySQL 8.4 init (docker-compose): the reconciler's capture user for the demo, and the write rights the heartbeat
-- table needs; the traffic generator writes as root. Demo passwords: change them for anything but a laptop.
-- Broader than needed: for a real server use the least-privilege user of docs/configuration.md#the-capture-user
-- (replication on *.*, SELECT on the flow's database, the heartbeat table only; no RELOAD or SHOW DATABASES).
CREATE USER IF NOT EXISTS 'reconciler'@'%' IDENTIFIED BY 'reconciler-demo-password';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'reconciler'@'%';
GRANT CREATE, INSERT, UPDATE ON *.* TO 'reconciler'@'%';
