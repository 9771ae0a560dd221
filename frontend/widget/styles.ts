// The widget's styles, inside its shadow root: the page's CSS cannot reach in, nor these out.
// System fonts only: nothing is fetched from anywhere but the Callwright server.

export const STYLES = `
:host { all: initial; }
* { box-sizing: border-box; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.launcher, .panel { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; }
.launcher { border: 0; border-radius: 24px; padding: 12px 18px; background: #1d4ed8; color: #fff;
  font-size: 15px; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); }
.badge { display: inline-block; margin-left: 8px; min-width: 20px; padding: 0 6px;
  border-radius: 10px; background: #fff; color: #1d4ed8; font-weight: 600; font-size: 13px; }
.badge[hidden] { display: none; }
.panel { width: min(360px, calc(100vw - 40px)); height: min(520px, calc(100vh - 40px));
  display: flex; flex-direction: column; background: #fff; color: #111; border-radius: 12px;
  box-shadow: 0 8px 30px rgba(0,0,0,.3); overflow: hidden; font-size: 14px; }
.panel[hidden], .launcher[hidden] { display: none; }
header { display: flex; align-items: center; justify-content: space-between; padding: 10px 14px;
  background: #1d4ed8; color: #fff; }
h2 { margin: 0; font-size: 16px; }
.close { background: transparent; color: #fff; border: 0; font-size: 22px; line-height: 1;
  cursor: pointer; padding: 2px 8px; border-radius: 6px; }
.log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px;
  margin: 0; list-style: none; }
.message { max-width: 85%; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.bot { align-self: flex-start; background: #f1f5f9; }
.visitor { align-self: flex-end; background: #1d4ed8; color: #fff; }
.notice { align-self: center; color: #475569; font-size: 13px; font-style: italic; }
.who { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
.replies { display: flex; flex-wrap: wrap; gap: 6px; padding: 0 12px 8px; }
.replies[hidden] { display: none; }
.reply { border: 1px solid #1d4ed8; color: #1d4ed8; background: #fff; border-radius: 16px;
  padding: 6px 12px; cursor: pointer; font-size: 14px; }
.status { padding: 0 12px; color: #b91c1c; font-size: 13px; min-height: 0; }
form { display: flex; gap: 6px; padding: 10px; border-top: 1px solid #e2e8f0; }
input { flex: 1; padding: 8px 10px; border: 1px solid #94a3b8; border-radius: 8px; font-size: 14px; }
.send { border: 0; background: #1d4ed8; color: #fff; border-radius: 8px; padding: 8px 14px;
  cursor: pointer; font-size: 14px; }
button:focus-visible, input:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
`;
