// rjsf's array and object buttons with the editor's icons and labels (its default theme draws
// glyph-font icons that are not bundled).
import type { IconButtonProps } from "@rjsf/utils";
import { TranslatableString } from "@rjsf/utils";
import { Icon } from "../Icon";

function button(icon: string, text: TranslatableString, showText = false) {
  return function FormButton({ registry, icon: _icon, iconType: _type, uiSchema: _ui, className, ...props }: IconButtonProps) {
    const label = registry.translateString(text);
    return (
      <button type="button" {...props} className={`form-button ${className ?? ""}`} aria-label={label} title={label}>
        <Icon name={icon} size={14} />{showText ? ` ${label}` : null}
      </button>
    );
  };
}

export const buttonTemplates = {
  AddButton: button("plus", TranslatableString.AddItemButton, true),
  CopyButton: button("copy", TranslatableString.CopyButton),
  MoveDownButton: button("arrow-down", TranslatableString.MoveDownButton),
  MoveUpButton: button("arrow-up", TranslatableString.MoveUpButton),
  RemoveButton: button("x", TranslatableString.RemoveButton),
  ClearButton: button("x", TranslatableString.ClearButton),
};
