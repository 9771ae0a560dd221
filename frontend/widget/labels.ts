// The widget's words in the page's language (<html lang>): English, or Russian for "ru".

export interface Labels {
  open: string;
  close: string;
  title: string;
  log: string;
  message: string;
  send: string;
  quickReplies: string;
  you: string;
  bot: string;
  transfer: string;
  ended: string;
  sendFailed: string;
  reconnecting: string;
  unread: (count: number) => string;
}

const EN: Labels = {
  open: "Chat with us",
  close: "Close the chat",
  title: "Chat",
  log: "Conversation",
  message: "Your message",
  send: "Send",
  quickReplies: "Quick replies",
  you: "You",
  bot: "Assistant",
  transfer: "Connecting you to a person…",
  ended: "The conversation has ended. Write again to start a new one.",
  sendFailed: "Your message could not be sent. Please try again.",
  reconnecting: "Reconnecting…",
  unread: (count) => `${count} new`,
};

const RU: Labels = {
  open: "Чат с нами",
  close: "Закрыть чат",
  title: "Чат",
  log: "Переписка",
  message: "Ваше сообщение",
  send: "Отправить",
  quickReplies: "Быстрые ответы",
  you: "Вы",
  bot: "Ассистент",
  transfer: "Соединяем с сотрудником…",
  ended: "Разговор завершён. Напишите снова, чтобы начать новый.",
  sendFailed: "Не удалось отправить сообщение. Попробуйте ещё раз.",
  reconnecting: "Восстанавливаем соединение…",
  unread: (count) => `новых: ${count}`,
};

/** Return the labels for a BCP 47 language tag such as "ru-RU" (English for any other). */
export function labelsFor(lang: string | null | undefined): Labels {
  return (lang || "").toLowerCase().split("-")[0] === "ru" ? RU : EN;
}
