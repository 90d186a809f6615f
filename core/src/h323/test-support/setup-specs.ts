import type { H323SetupSpec } from '../messages.js';

/** Every alias kind, every optional root field, both endpoint kinds and address families. */
export const ALL_KINDS_SETUP: H323SetupSpec = {
  callReference: 0x0123,
  display: 'Alias Test',
  callingNumber: { digits: '4930123456', numberType: 1 },
  calledNumber: '4001',
  sourceAliases: [
    { type: 'h323-ID', value: 'caller-room' },
    { type: 'dialedDigits', value: '7001' },
    { type: 'email-ID', value: 'room@partner.example.net' },
    { type: 'partyNumber', value: '4930123456', numberType: 'internationalNumber' },
  ],
  destinationAliases: [
    { type: 'url-ID', value: 'h323:room-boardroom@video.example.com' },
    { type: 'transportID', address: { ip: '203.0.113.10', port: 1720 } },
    { type: 'dialedDigits', value: '4001#' },
  ],
  vendor: { t35CountryCode: 181, manufacturerCode: 18, productId: 'Cisco Codec', versionId: 'ce11.5' },
  endpointType: 'gateway',
  h245Address: { ip: '198.51.100.30', port: 11_721 },
  destCallSignalAddress: { ip: '203.0.113.10', port: 1720 },
  sourceCallSignalAddress: { ip: '2001:db8::30', port: 1720 },
  activeMC: true,
  conferenceGoal: 'join',
  callType: 'oneToN',
  mediaWaitForConnect: true,
  canOverlapSend: true,
  multipleCalls: true,
  maintainConnection: true,
  fastStart: [],
};
