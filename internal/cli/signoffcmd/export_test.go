package signoffcmd

// ManualChecklist is shared with the command-line tests of package signoffcmd_test.
const ManualChecklist = manualChecklist
