// Starts @20minutes/s3rver (an S3 server that verifies SigV4) for cod's tests and prints its port.
//   node s3rver.js DIR ACCESS_KEY SECRET_KEY BUCKET...
// Needs NODE_PATH to hold the package (scripts/test-services.sh installs it) and
// NODE_OPTIONS=--openssl-legacy-provider (its continuation tokens use DES).
const S3rver = require('@20minutes/s3rver');
const account = require('@20minutes/s3rver/lib/models/account');

const [dir, key, secret, ...buckets] = process.argv.slice(2);
account.DUMMY_ACCOUNT.createKeyPair(key, secret);
new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  configureBuckets: buckets.map((name) => ({ name, configs: [] })),
})
  .run()
  .then((r) => {
    console.log(typeof r === 'object' ? r.port : r);
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
