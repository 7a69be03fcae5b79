export { refAutoappendFile, AUTOAPPEND_LABEL, type RefAutoappendFileConfig } from './ref-autoappend-file.js';
