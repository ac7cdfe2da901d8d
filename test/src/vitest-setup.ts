import { quietAwsSdkNodeNotice } from "@etl/runtime";

// The suite's own processes load the AWS SDK too: quiet its Node.js version notice the way the
// packages' command line does (runtime/src/node-support.ts), so the logs show what the tests do.
quietAwsSdkNodeNotice(process.env);
