DROP TABLE digest_sends;
