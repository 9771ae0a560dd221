// Icons by lucide name (`list`, `message-square`): the editor's own and the built-in blocks' are
// in the main bundle; any other name a partner's manifest uses comes from the whole lucide set,
// loaded once on demand; an unknown name falls back to a box.
import { memo, useEffect, useState } from "react";
import type { ComponentType } from "react";
import Activity from "lucide-react/icons/activity";
import ArrowDown from "lucide-react/icons/arrow-down";
import ArrowUp from "lucide-react/icons/arrow-up";
import Bot from "lucide-react/icons/bot";
import Box from "lucide-react/icons/box";
import ChevronRight from "lucide-react/icons/chevron-right";
import CircleAlert from "lucide-react/icons/circle-alert";
import Clock from "lucide-react/icons/clock";
import Code from "lucide-react/icons/code";
import Copy from "lucide-react/icons/copy";
import Delete from "lucide-react/icons/delete";
import Flag from "lucide-react/icons/flag";
import GitBranch from "lucide-react/icons/git-branch";
import Globe from "lucide-react/icons/globe";
import History from "lucide-react/icons/history";
import Keyboard from "lucide-react/icons/keyboard";
import Languages from "lucide-react/icons/languages";
import LayoutGrid from "lucide-react/icons/layout-grid";
import List from "lucide-react/icons/list";
import ListChecks from "lucide-react/icons/list-checks";
import Lock from "lucide-react/icons/lock";
import LogOut from "lucide-react/icons/log-out";
import Maximize from "lucide-react/icons/maximize";
import MessageCircle from "lucide-react/icons/message-circle";
import MessageSquare from "lucide-react/icons/message-square";
import Mic from "lucide-react/icons/mic";
import Pencil from "lucide-react/icons/pencil";
import Phone from "lucide-react/icons/phone";
import PhoneForwarded from "lucide-react/icons/phone-forwarded";
import PhoneOff from "lucide-react/icons/phone-off";
import Play from "lucide-react/icons/play";
import Plus from "lucide-react/icons/plus";
import Redo2 from "lucide-react/icons/redo-2";
import Save from "lucide-react/icons/save";
import ScrollText from "lucide-react/icons/scroll-text";
import Search from "lucide-react/icons/search";
import Send from "lucide-react/icons/send";
import Split from "lucide-react/icons/split";
import Trash2 from "lucide-react/icons/trash-2";
import TriangleAlert from "lucide-react/icons/triangle-alert";
import Undo2 from "lucide-react/icons/undo-2";
import Upload from "lucide-react/icons/upload";
import Variable from "lucide-react/icons/variable";
import Volume2 from "lucide-react/icons/volume-2";
import Workflow from "lucide-react/icons/workflow";
import X from "lucide-react/icons/x";

type IconComponent = ComponentType<{ size?: number; className?: string; "aria-hidden"?: boolean }>;

const BUNDLED: Record<string, IconComponent> = {
  activity: Activity, "arrow-down": ArrowDown, "arrow-up": ArrowUp, bot: Bot, box: Box, "chevron-right": ChevronRight, "circle-alert": CircleAlert, clock: Clock,
  code: Code, copy: Copy, delete: Delete, flag: Flag, "git-branch": GitBranch, globe: Globe, history: History,
  keyboard: Keyboard, languages: Languages, "layout-grid": LayoutGrid, list: List, "list-checks": ListChecks, lock: Lock,
  "log-out": LogOut, maximize: Maximize, "message-circle": MessageCircle, "message-square": MessageSquare, mic: Mic,
  pencil: Pencil, phone: Phone, "phone-forwarded": PhoneForwarded, "phone-off": PhoneOff, play: Play, plus: Plus,
  "redo-2": Redo2, save: Save, "scroll-text": ScrollText, search: Search, send: Send, split: Split,
  "trash-2": Trash2, "triangle-alert": TriangleAlert, "undo-2": Undo2, upload: Upload, variable: Variable, "volume-2": Volume2,
  workflow: Workflow, x: X,
};

let everyIcon: Promise<Record<string, IconComponent>> | null = null;
const loaded: Record<string, IconComponent> = {};

function pascal(name: string): string {
  return name.split(/[-_ ]/).filter(Boolean).map((part) => part[0].toUpperCase() + part.slice(1)).join("");
}

function loadIcon(name: string): Promise<IconComponent | null> {
  everyIcon ??= import("lucide-react").then((module) => module.icons as unknown as Record<string, IconComponent>);
  return everyIcon.then((icons) => icons[pascal(name)] ?? null);
}

/** Draw the lucide icon `name` (decorative: its meaning is in the text beside it). */
export const Icon = memo(function Icon({ name, size = 16, className }: { name?: string; size?: number; className?: string }) {
  const known = name ? BUNDLED[name] ?? loaded[name] : Box;
  const [, setLoaded] = useState(0);
  useEffect(() => {
    if (known || !name) return;
    let live = true;
    loadIcon(name).then((icon) => {
      loaded[name] = icon ?? Box;
      if (live) setLoaded((n) => n + 1);
    });
    return () => { live = false; };
  }, [known, name]);
  const Drawn = known ?? Box;
  return <Drawn size={size} className={className} aria-hidden />;
});
