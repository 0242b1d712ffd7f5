// Entry point of the compiled command (bin/gatehouse.js imports it).
import { main } from './main.js';

main();
