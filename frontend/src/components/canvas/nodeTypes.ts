// Module-level node types (xyflow: never re-created on render): every block is the one
// generic component; a diff's removed blocks use it too, drawn as ghosts.
import { GHOST_TYPE, NODE_TYPE } from "../../lib/flow-format";
import { BlockNodeComponent } from "./BlockNodeView";

export const nodeTypes = { [NODE_TYPE]: BlockNodeComponent, [GHOST_TYPE]: BlockNodeComponent };
